// One repository in the sidebar: History (the notebook panels' history component over HTTP, with
// Compare opening the shared diff view), Branches and tags, Sessions, and "Use in notebook".
// Live: a long poll of the repository's watch route refetches what is shown when commits land
// from any process. Text nodes only (el()).
import { mountDiff, type DiffHandle } from "../../src/components/diff_view";
import { mountHistory, type HistoryHandle, type HistoryState } from "../../src/components/history";
import { mountTree, type TreeHandle } from "../../src/components/tree";
import { el, replaceChildren, type Child } from "../../src/shared/dom";
import { plural, shortId, shortTime } from "../../src/shared/format";
import type { RemoteError } from "../../src/shared/source";
import { errorBox, type RefEntry } from "../../src/shared/ui";
import { ApiError, requestAPI } from "./api";
import { HttpSource } from "./source";

interface Ref { type: "branch" | "tag"; name: string; commit_id: string | null; tip_time?: string | null; message?: string | null }

interface RepoDoc { name: string; token: string; branches: Ref[]; tags: Ref[]; sessions: number }

interface NodeChange { path: string; kind: string; created: boolean; deleted: boolean; metadata_changed: boolean; chunks_written: number; chunks_deleted: number }

interface SessionDoc {
  id: string;
  branch: string | null;
  author_name: string | null;
  author_email: string | null;
  for_writing: boolean;
  age_seconds: number;
  expires_in_seconds: number;
  changed_keys: number;
  changed_nodes: NodeChange[];
  changed_nodes_partial: boolean;
}

type Tab = "history" | "refs" | "sessions" | "tree";

export interface RepoViewOptions {
  /** Insert a cell opening this repository at ``ref`` into the active notebook; returns what happened. */
  useInNotebook: (repo: string, ref: string) => string;
}

/** Seconds as a short duration: "40 s", "12 min", "3 h", "2 d". */
function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 90) return `${s} s`;
  if (s < 90 * 60) return `${Math.round(s / 60)} min`;
  if (s < 36 * 3600) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86400)} d`;
}

const WATCH_TIMEOUT_S = 25;
const SETTLE_S = 1.5;

function asRemote(error: unknown): RemoteError {
  if (error instanceof ApiError) return { type: error.kind ?? `HTTP ${error.status}`, message: error.message };
  return { type: "Error", message: String(error) };
}

export class RepoView {
  readonly element = el("div", { class: "anb-repo", "data-testid": "repo-view" });
  private readonly source: HttpSource;
  private readonly tabs = el("div", { class: "anb-tabs", role: "tablist" });
  private readonly useBar = el("div", { class: "anb-use" });
  private readonly notice = el("div", { class: "anb-notice", role: "status" });
  private readonly historyHost = el("div", { class: "anb-pane", "data-pane": "history" });
  private readonly diffHost = el("div", { class: "aln-root anb-diff", "data-testid": "sidebar-diff" });
  private readonly refsHost = el("div", { class: "anb-pane", "data-pane": "refs" });
  private readonly sessionsHost = el("div", { class: "anb-pane", "data-pane": "sessions" });
  private readonly treeHost = el("div", { class: "anb-pane", "data-pane": "tree" });
  private tree: TreeHandle | null = null;
  private readonly history: HistoryHandle;
  private diff: DiffHandle | null = null;
  private tab: Tab = "history";
  private doc: RepoDoc | null = null;
  private version = 0;
  private problem: RemoteError | null = null;
  private selected: string | null = null;
  private sessions: SessionDoc[] | RemoteError | null = null;
  private confirming: string | null = null; // "branch:x", "tag:x" or "session:id"
  private disposed = false;
  private watch: AbortController | null = null;

  constructor(readonly name: string, private readonly options: RepoViewOptions) {
    this.source = new HttpSource(name);
    this.diffHost.hidden = true;
    this.history = mountHistory(this.historyHost, this.source, {
      kernelActions: false,
      onCompare: (a, b) => this.openDiff(a, b),
      onSelect: (id) => { this.selected = id; this.say(null); this.drawUse(); },
    });
    this.historyHost.append(this.diffHost);
    replaceChildren(this.element, el("div", { class: "anb-repo-name" }, name), this.tabs, this.useBar, this.notice,
      this.historyHost, this.refsHost, this.sessionsHost, this.treeHost);
    this.drawTabs();
    this.drawUse();
    void this.refresh().then(() => this.live());
  }

  /** Fetch the refs (and the sessions when shown); a moved token makes the history reload. */
  async refresh(): Promise<void> {
    try {
      const doc = await requestAPI<RepoDoc>(`${this.source.repoPath}`);
      if (this.doc && doc.token !== this.doc.token) this.version++;
      this.doc = doc;
      this.problem = null;
    } catch (error) {
      this.problem = asRemote(error);
    }
    if (this.disposed) return;
    this.history.update(this.state());
    this.drawRefs();
    this.tree?.setRefList(this.state().refs);
    if (this.tab === "sessions") await this.loadSessions();
  }

  private state(): HistoryState {
    const refs: RefEntry[] = this.doc
      ? [...this.doc.branches, ...this.doc.tags].map((r) => ({ kind: r.type, name: r.name, commit_id: r.commit_id }))
      : [];
    return { repo_name: this.name, checkout: null, refs, version: this.version, problem: this.problem };
  }

  /** Long-poll the repository's watch route while the view lives; refresh once commits settle. */
  private async live(): Promise<void> {
    while (!this.disposed) {
      const since = this.doc?.token ?? "";
      this.watch = new AbortController();
      try {
        const w = await requestAPI<{ token: string; changed: boolean }>(
          `${this.source.repoPath}/watch?since=${encodeURIComponent(since)}&timeout=${WATCH_TIMEOUT_S}&settle=${SETTLE_S}`,
          { signal: this.watch.signal });
        if (this.disposed) return;
        if (w.changed) await this.refresh();
      } catch {
        if (this.disposed) return;
        await new Promise((r) => setTimeout(r, 3000)); // server restarting: try again shortly
      }
    }
  }

  private openDiff(a: string, b: string): void {
    if (this.diff) {
      this.diff.setRefs(a, b);
      return;
    }
    const close = el("button", { type: "button", "data-testid": "close-diff" }, "Close the comparison");
    close.addEventListener("click", () => this.closeDiff());
    this.diffHost.hidden = false;
    this.diffHost.append(el("div", { class: "aln-head" }, close));
    this.diff = mountDiff(this.diffHost, this.source, { a, b, refs: this.state().refs, session: false });
    this.diffHost.scrollIntoView({ block: "nearest" });
  }

  private closeDiff(): void {
    this.diff?.dispose();
    this.diff = null;
    this.diffHost.replaceChildren();
    this.diffHost.hidden = true;
  }

  private drawTabs(): void {
    const tabs: [Tab, string][] = [["history", "History"], ["refs", "Branches"], ["sessions", "Sessions"], ["tree", "Tree"]];
    replaceChildren(this.tabs, ...tabs.map(([id, text]) => {
      const b = el("button", { type: "button", role: "tab", class: "anb-tab", "aria-selected": String(this.tab === id), "data-tab": id }, text);
      b.addEventListener("click", () => this.show(id));
      return b;
    }));
    this.historyHost.hidden = this.tab !== "history";
    this.refsHost.hidden = this.tab !== "refs";
    this.sessionsHost.hidden = this.tab !== "sessions";
    this.treeHost.hidden = this.tab !== "tree";
  }

  private show(tab: Tab): void {
    this.tab = tab;
    this.confirming = null;
    this.say(null);
    this.drawTabs();
    if (tab === "sessions") void this.loadSessions();
    if (tab === "refs") this.drawRefs();
    if (tab === "tree") this.openTree(this.selected ?? "main");
  }

  /** The tree at ``ref`` (lazy: mounted on first use; later visits move it to the selected commit). */
  private openTree(ref: string): void {
    if (this.tree) {
      this.tree.setRef(ref);
      return;
    }
    this.tree = mountTree(this.treeHost, this.source, { repoName: this.name, ref, refs: this.state().refs, checkout: false, preview: false });
  }

  private say(message: Child | null): void {
    replaceChildren(this.notice, message);
  }

  private use(ref: string): void {
    this.say(this.options.useInNotebook(this.name, ref));
  }

  private drawUse(): void {
    const ref = this.selected ?? "main";
    const b = el("button", { type: "button", "data-testid": "use-in-notebook", title: "Insert a cell that opens this repository here into the active notebook (not run)" },
      "Use in notebook");
    b.addEventListener("click", () => this.use(ref));
    replaceChildren(this.useBar, b, " at ", el("code", { title: ref }, this.selected ? shortId(ref) : ref));
  }

  // -- branches and tags -----------------------------------------------------------------------
  private drawRefs(): void {
    if (!this.doc) {
      replaceChildren(this.refsHost, this.problem ? errorBox(this.problem) : el("div", { class: "anb-hint" }, "Loading…"));
      return;
    }
    const row = (r: Ref) => {
      const key = `${r.type}:${r.name}`;
      const use = el("button", { type: "button", title: `Insert a cell opening ${r.name} into the active notebook` }, "Use");
      use.addEventListener("click", () => this.use(r.name));
      const del = el("button", { type: "button", class: "anb-danger", "data-action": "delete" }, "Delete…");
      del.addEventListener("click", () => { this.confirming = key; this.drawRefs(); });
      const actions: Child[] = [use, del];
      let confirm: HTMLElement | null = null;
      if (this.confirming === key) {
        const yes = el("button", { type: "button", class: "anb-danger", "data-action": "confirm-delete" }, `Delete ${r.type} ${r.name}`);
        const no = el("button", { type: "button" }, "Cancel");
        yes.addEventListener("click", () => void this.deleteRef(r));
        no.addEventListener("click", () => { this.confirming = null; this.drawRefs(); });
        confirm = el("div", { class: "anb-confirm", role: "alert" },
          `Delete the ${r.type} ${r.name} (at ${shortId(r.commit_id) || "no commit"})? `
            + `It can be made again there from History.`, yes, no);
      }
      return el("li", { class: "anb-ref", "data-ref": r.name, "data-kind": r.type },
        el("div", { class: "anb-ref-line" },
          el("span", { class: "anb-ref-name" }, r.type === "tag" ? `tag: ${r.name}` : r.name),
          el("code", { class: "anb-ref-tip", title: r.commit_id ?? "" }, shortId(r.commit_id) || "no commits"),
          el("span", { class: "anb-hint" }, r.tip_time ? shortTime(r.tip_time) : ""),
          el("span", { class: "anb-spacer" }), ...actions),
        confirm);
    };
    replaceChildren(this.refsHost,
      el("div", { class: "anb-hint" }, "To create a branch or a tag, select a commit in History, then “Branch here…” or “Tag here…”."),
      el("h3", null, "Branches"),
      el("ul", { class: "anb-refs", "data-testid": "branches" }, ...this.doc.branches.map(row)),
      el("h3", null, "Tags"),
      this.doc.tags.length ? el("ul", { class: "anb-refs", "data-testid": "tags" }, ...this.doc.tags.map(row)) : el("div", { class: "anb-hint" }, "No tags."));
  }

  private async deleteRef(r: Ref): Promise<void> {
    const route = r.type === "tag" ? "tags" : "branches";
    try {
      await requestAPI(`${this.source.repoPath}/${route}?name=${encodeURIComponent(r.name)}`, { method: "DELETE" });
      this.say(`Deleted ${r.type} ${r.name}.`);
    } catch (error) {
      this.say(errorBox(asRemote(error)));
    }
    this.confirming = null;
    await this.refresh();
  }

  // -- sessions ---------------------------------------------------------------------------------
  private async loadSessions(): Promise<void> {
    try {
      this.sessions = (await requestAPI<{ sessions: SessionDoc[] }>(`${this.source.repoPath}/sessions`)).sessions;
    } catch (error) {
      this.sessions = asRemote(error);
    }
    this.drawSessions();
  }

  private drawSessions(): void {
    const s = this.sessions;
    if (s === null) {
      replaceChildren(this.sessionsHost, el("div", { class: "anb-hint" }, "Loading…"));
      return;
    }
    if (!Array.isArray(s)) {
      replaceChildren(this.sessionsHost, errorBox(s));
      return;
    }
    if (!s.length) {
      replaceChildren(this.sessionsHost, el("div", { class: "anb-hint" }, "No active sessions."));
      return;
    }
    const row = (x: SessionDoc) => {
      const key = `session:${x.id}`;
      const abandon = el("button", { type: "button", class: "anb-danger", "data-action": "abandon" }, "Abandon…");
      abandon.addEventListener("click", () => { this.confirming = key; this.drawSessions(); });
      let confirm: HTMLElement | null = null;
      if (this.confirming === key) {
        const yes = el("button", { type: "button", class: "anb-danger", "data-action": "confirm-abandon" }, "Abandon the session");
        const no = el("button", { type: "button" }, "Cancel");
        yes.addEventListener("click", () => void this.abandon(x));
        no.addEventListener("click", () => { this.confirming = null; this.drawSessions(); });
        confirm = el("div", { class: "anb-confirm", role: "alert" },
          `Abandon session ${shortId(x.id)}? Its ${plural(x.changed_keys, "uncommitted change")} `
            + `${x.changed_keys === 1 ? "is" : "are"} dropped, and its writer's next write or commit fails.`, yes, no);
      }
      const nodes = x.changed_nodes.map((n) => el("li", null, el("code", null, `/${n.path}`),
        n.created ? " created" : n.deleted ? " deleted" : "",
        n.metadata_changed && !n.created && !n.deleted ? " metadata" : "",
        n.chunks_written ? `, ${plural(n.chunks_written, "chunk")} written` : "",
        n.chunks_deleted ? `, ${plural(n.chunks_deleted, "chunk")} deleted` : ""));
      return el("li", { class: "anb-session", "data-session": x.id },
        el("div", { class: "anb-ref-line" },
          el("code", { title: x.id }, shortId(x.id)),
          el("span", null, x.branch ? `on ${x.branch}` : "detached"),
          el("span", { class: "anb-spacer" }), abandon),
        el("div", { class: "anb-hint" },
          `${x.author_name ?? "unknown"} · started ${duration(x.age_seconds)} ago · expires in ${duration(x.expires_in_seconds)} · `
          + `${plural(x.changed_keys, "changed key")}${x.for_writing ? "" : " · read-only"}`),
        nodes.length ? el("ul", { class: "anb-nodes" }, ...nodes, x.changed_nodes_partial ? el("li", { class: "anb-hint" }, "…and more") : null) : null,
        confirm);
    };
    replaceChildren(this.sessionsHost, el("ul", { class: "anb-refs", "data-testid": "sessions" }, ...s.map(row)));
  }

  private async abandon(x: SessionDoc): Promise<void> {
    try {
      await requestAPI(`${this.source.repoPath}/sessions?id=${encodeURIComponent(x.id)}`, { method: "DELETE" });
      this.say(`Abandoned session ${shortId(x.id)}.`);
    } catch (error) {
      this.say(errorBox(asRemote(error)));
    }
    this.confirming = null;
    await this.loadSessions();
  }

  dispose(): void {
    this.disposed = true;
    this.watch?.abort();
    this.closeDiff();
    this.tree?.dispose();
    this.history.dispose();
    this.source.dispose();
    this.element.remove();
  }
}
