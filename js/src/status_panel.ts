// StatusPanel: the live session of one repository (Python: arraylake_nb.widgets.StatusPanel).
// Synced traits: status (the session_status JSON document of docs/json-schema.md, or null),
// problem ({type, message} when the status cannot be read), repo_name.
// Actions go to the kernel as requests (commit, abandon, fast_forward, refresh) through Rpc.
import type { AnyModel, RenderProps } from "@anywidget/types";
import { el, replaceChildren, type Child } from "./shared/dom";
import { localTime, plural, relativeTime, shortId } from "./shared/format";
import { Rpc, type Reply, type RemoteError } from "./shared/rpc";
import { THEME_CSS, ensureStyle } from "./shared/theme";
import { errorBox } from "./shared/ui";

interface SessionInfo {
  id: string;
  branch: string | null;
  base_commit: string | null;
  for_writing: boolean;
  start_time: string | null;
  expiration: string | null;
}

interface NodeChange {
  path: string;
  kind: string;
  created: boolean;
  deleted: boolean;
  metadata_changed: boolean;
  chunks_written: number;
  chunks_deleted: number;
}

interface SessionStatus {
  type: "session_status";
  repo_name: string;
  session: SessionInfo;
  total: number;
  truncated: number;
  modified_paths: { path: string; deleted: boolean }[];
  nodes: NodeChange[];
  session_closed: string | null;
}

interface Model {
  status: SessionStatus | null;
  problem: RemoteError | null;
  repo_name: string;
}

const PANEL_CSS = `
.aln-status .aln-head { display: flex; flex-wrap: wrap; gap: 4px 14px; align-items: baseline; }
.aln-status .aln-repo { font-weight: 600; }
.aln-status .aln-ref { font-weight: 600; }
.aln-status .aln-detached { color: var(--aln-warn); font-weight: 600; }
.aln-status .aln-spacer { flex: 1; }
.aln-status .aln-changes { margin: 8px 0 4px; }
.aln-status .aln-changes-title { font-weight: 600; margin-bottom: 2px; }
.aln-status details { margin: 1px 0; }
.aln-status summary { cursor: pointer; padding: 1px 0; }
.aln-status summary::marker { color: var(--aln-fg-muted); }
.aln-status .aln-kind {
  display: inline-block; min-width: 3.6em; margin-right: 6px; padding: 0 4px;
  border: 1px solid var(--aln-border); border-radius: 3px; font-size: 0.85em; text-align: center;
  color: var(--aln-fg-muted);
}
.aln-status .aln-path { font-family: var(--aln-mono); }
.aln-status .aln-what { color: var(--aln-fg-muted); margin-left: 8px; }
.aln-status ul.aln-keys { margin: 2px 0 4px 1.6em; padding: 0; list-style: none; font-family: var(--aln-mono); font-size: 0.92em; }
.aln-status ul.aln-keys li.aln-del { text-decoration: line-through; color: var(--aln-fg-muted); }
.aln-status .aln-actions { display: flex; flex-wrap: wrap; gap: 6px; align-items: center; margin-top: 8px; }
.aln-status .aln-actions input[type="text"] { flex: 1 1 240px; min-width: 160px; }
.aln-status .aln-confirm { display: flex; gap: 6px; align-items: center; margin-top: 6px; }
.aln-status .aln-busy { color: var(--aln-fg-muted); font-style: italic; }
`;

function describe(n: NodeChange): string {
  const parts: string[] = [];
  if (n.created) parts.push("created");
  if (n.deleted) parts.push("deleted");
  if (n.metadata_changed) parts.push("metadata changed");
  const noun = n.kind === "array" ? "chunk" : "key";
  if (n.chunks_written) parts.push(`${plural(n.chunks_written, noun)} written`);
  if (n.chunks_deleted) parts.push(`${plural(n.chunks_deleted, noun)} deleted`);
  return parts.join(", ") || "unchanged";
}

/** The listed keys of each node: a key belongs to the deepest node whose folder holds it. */
export function keysByNode(status: SessionStatus): Map<string, { path: string; deleted: boolean }[]> {
  const out = new Map<string, { path: string; deleted: boolean }[]>();
  const nodes = status.nodes.map((n) => n.path).sort((a, b) => b.length - a.length);
  for (const n of status.nodes) out.set(n.path, []);
  for (const key of status.modified_paths) {
    const owner = nodes.find((n) => n === "" || key.path === n || key.path.startsWith(n + "/"));
    if (owner !== undefined) out.get(owner)!.push(key);
  }
  return out;
}

function render({ model, el: host }: RenderProps<Model>) {
  ensureStyle("arraylake-nb-theme", THEME_CSS);
  ensureStyle("arraylake-nb-status-panel", PANEL_CSS);
  const rpc = new Rpc(model as unknown as AnyModel);
  const root = el("div", { class: "aln-root aln-status", "data-testid": "status-panel" });
  host.appendChild(root);

  // State that survives re-rendering: open nodes, the typed message, the last outcome.
  const open = new Set<string>();
  let message = "";
  let busy: string | null = null;
  let outcome: { error?: RemoteError; notice?: string } | null = null;
  let confirmingAbandon = false;

  async function act(type: string, payload: Record<string, unknown>, label: string, done: (r: Reply) => string | null) {
    busy = label;
    outcome = null;
    draw();
    const { reply } = rpc.request(type, payload);
    const r = await reply;
    busy = null;
    if (r.ok) {
      const notice = done(r);
      outcome = notice ? { notice } : null;
    } else {
      outcome = { error: r.error ?? { type: "Error", message: "The request failed." } };
    }
    draw();
  }

  function header(status: SessionStatus | null): HTMLElement {
    const name = status?.repo_name ?? model.get("repo_name");
    const parts: Child[] = [el("span", { class: "aln-repo" }, name)];
    if (status) {
      const s = status.session;
      if (s.branch) {
        parts.push(el("span", null, "on ", el("span", { class: "aln-ref" }, s.branch),
          s.base_commit ? " at " : ", no commits yet",
          s.base_commit ? el("span", { class: "aln-mono", title: s.base_commit }, shortId(s.base_commit)) : null,
          s.for_writing ? null : el("span", { class: "aln-muted" }, " (read-only)")));
      } else {
        parts.push(el("span", { class: "aln-detached" }, "detached at ",
          el("span", { class: "aln-mono", title: s.base_commit ?? "" }, shortId(s.base_commit) || "empty"),
          " (read-only)"));
      }
      parts.push(el("span", { class: "aln-spacer" }));
      const expired = s.expiration !== null && Date.parse(s.expiration) <= Date.now();
      parts.push(el("span", { class: "aln-muted" }, "session ",
        el("span", { class: "aln-mono", title: s.id }, shortId(s.id)), " · ",
        el("span", { title: localTime(s.expiration) },
          expired ? "expired" : `expires ${relativeTime(s.expiration)}`)));
    }
    return el("div", { class: "aln-head" }, ...parts);
  }

  function changes(status: SessionStatus): HTMLElement {
    if (status.total === 0) {
      return el("div", { class: "aln-changes aln-muted", "data-testid": "no-changes" }, "No uncommitted changes.");
    }
    const keys = keysByNode(status);
    const rows = status.nodes.map((n) => {
      const details = el("details", { "data-path": n.path },
        el("summary", null,
          el("span", { class: "aln-kind" }, n.kind),
          el("span", { class: "aln-path" }, n.path || "/"),
          el("span", { class: "aln-what" }, describe(n))),
        el("ul", { class: "aln-keys" }, ...(keys.get(n.path) ?? []).map((k) =>
          el("li", { class: k.deleted ? "aln-del" : undefined, title: k.deleted ? "deleted" : "written" }, k.path))));
      details.open = open.has(n.path);
      details.addEventListener("toggle", () => {
        if (details.open) open.add(n.path);
        else open.delete(n.path);
      });
      return details;
    });
    return el("div", { class: "aln-changes", "data-testid": "changes" },
      el("div", { class: "aln-changes-title" },
        `${plural(status.total, "changed key")} in ${plural(status.nodes.length, "node")}`),
      ...rows,
      status.truncated ? el("div", { class: "aln-muted" },
        `${plural(status.truncated, "more key")} not listed (repo.status(limit=0) lists all).`) : null);
  }

  function closedBox(status: SessionStatus): HTMLElement | null {
    if (!status.session_closed) return null;
    const start = el("button", { disabled: busy !== null }, "Start a new session");
    start.addEventListener("click", () => {
      void act("new_session", {}, "Starting a new session…", (r) => {
        const where = (r.result as { checkout?: string } | undefined)?.checkout;
        return `New session on ${where ?? "the same checkout"}.`;
      });
    });
    const where = status.session.branch ?? shortId(status.session.base_commit);
    return el("div", { class: "aln-error", role: "alert", "data-testid": "session-closed" },
      el("span", { class: "aln-error-title" }, `Session ${status.session_closed}`),
      `: it takes no more writes and cannot be committed. Start a new session on ${where} `,
      `(repo.checkout(${JSON.stringify(where)})) to go on. `, start);
  }

  function actions(status: SessionStatus | null): HTMLElement {
    const writable = !!status && !!status.session.branch && status.session.for_writing && !status.session_closed;
    const hasChanges = !!status && status.total > 0;
    const input = el("input", {
      type: "text", placeholder: "Commit message", "aria-label": "Commit message",
      disabled: !writable || busy !== null,
    });
    input.value = message;
    const commit = el("button", {
      class: "aln-primary", disabled: !writable || !hasChanges || !message.trim() || busy !== null,
      title: hasChanges ? "Commit the session's changes" : "Nothing to commit",
    }, "Commit");
    input.addEventListener("input", () => {
      message = input.value;
      commit.disabled = !writable || !hasChanges || !message.trim() || busy !== null;
    });
    const doCommit = () => {
      if (commit.disabled) return;
      const text = message.trim();
      void act("commit", { message: text }, "Committing…", (r) => {
        message = "";
        const id = (r.result as { commit_id?: string } | undefined)?.commit_id;
        return id ? `Committed ${shortId(id)}: ${text}` : "Nothing to commit.";
      });
    };
    commit.addEventListener("click", doCommit);
    input.addEventListener("keydown", (e) => {
      if (e.key === "Enter") doCommit();
    });
    const abandon = el("button", {
      class: "aln-danger", disabled: !writable || !hasChanges || busy !== null,
      title: "Discard the session's uncommitted changes and start a new session",
    }, "Abandon…");
    abandon.addEventListener("click", () => {
      confirmingAbandon = true;
      draw();
    });
    const ff = el("button", {
      disabled: !writable || busy !== null, title: "Rebase the session onto its branch's newest commit",
    }, "Fast-forward");
    ff.addEventListener("click", () => {
      void act("fast_forward", {}, "Fast-forwarding…", (r) => {
        const id = (r.result as { base_commit?: string } | undefined)?.base_commit;
        return id ? `Now based on ${shortId(id)}.` : "Already up to date.";
      });
    });
    const refresh = el("button", { disabled: busy !== null, title: "Read the session again" }, "Refresh");
    refresh.addEventListener("click", () => void act("refresh", {}, "Refreshing…", () => null));
    const row = el("div", { class: "aln-actions" }, input, commit, abandon, ff, refresh);
    if (!confirmingAbandon) return row;
    const yes = el("button", { class: "aln-danger" }, "Discard changes");
    const no = el("button", null, "Keep them");
    yes.addEventListener("click", () => {
      confirmingAbandon = false;
      void act("abandon", {}, "Abandoning…", () => "Session abandoned; a new one was started.");
    });
    no.addEventListener("click", () => {
      confirmingAbandon = false;
      draw();
    });
    return el("div", null, row, el("div", { class: "aln-confirm", role: "alertdialog" },
      `Discard ${plural(status?.total ?? 0, "uncommitted change")}? This cannot be undone.`, yes, no));
  }

  function draw() {
    const status = model.get("status");
    const problem = model.get("problem");
    // Keep focus and caret in the message box across redraws.
    const focused = root.contains(document.activeElement) && document.activeElement instanceof HTMLInputElement;
    replaceChildren(root,
      header(status),
      problem ? errorBox(problem) : null,
      status ? closedBox(status) : null,
      status ? changes(status) : null,
      actions(status),
      busy ? el("div", { class: "aln-busy" }, busy) : null,
      outcome?.error ? errorBox(outcome.error) : null,
      outcome?.notice ? el("div", { class: "aln-notice", role: "status" }, outcome.notice) : null,
    );
    if (focused) {
      const input = root.querySelector("input");
      if (input && !input.disabled) {
        input.focus();
        input.setSelectionRange(input.value.length, input.value.length);
      }
    }
  }

  const redraw = () => draw();
  model.on("change:status", redraw);
  model.on("change:problem", redraw);
  draw();
  // Relative times age: redraw each minute.
  const timer = setInterval(() => { if (!busy) draw(); }, 60_000);
  return () => {
    clearInterval(timer);
    model.off("change:status", redraw);
    model.off("change:problem", redraw);
    rpc.dispose();
  };
}

export default { render };
