// The history of a repository: the commit graph of every branch in a virtual list (pages fetched
// on demand, cancelled when scrolled past), search, commit details, and actions (check out, back
// to the branch, tag, branch, compare). Mounted by the HistoryPanel widget and, through another
// Source, by the JupyterLab sidebar. Requests: page, details, checkout, back, tag, branch
// (see arraylake_nb.widgets.HistoryPanel); comparing calls options.onCompare.
import { el, replaceChildren, type Child } from "../shared/dom";
import { errorBox } from "../shared/ui";
import { drawRow, colourOf, type Edge } from "../shared/graph";
import { humanTime, localTime, plural, shortId, shortTime } from "../shared/format";
import type { RemoteError, Reply, Source } from "../shared/source";
import { THEME_CSS, ensureStyle } from "../shared/theme";
import { VirtualList, type Page } from "../shared/virtual_list";

export interface RefLabel { kind: "branch" | "tag" | "head"; name: string; current: boolean }

export interface HistoryRow {
  id: string;
  short_id: string;
  parents: string[];
  lane: number;
  colour: number;
  edges: Edge[];
  width: number;
  refs: RefLabel[];
  head: boolean;
  author_name: string | null;
  author_email: string | null;
  time: string;
  message: string;
}

interface HistoryPage {
  total: number;
  offset: number;
  search: string | null;
  head: string | null;
  branch: string | null;
  incoming: Edge[];
  width: number;
  rows: HistoryRow[];
}

interface Changes {
  empty: boolean;
  added: { path: string; kind: string }[];
  deleted: { path: string; kind: string }[];
  moved: { old_path: string; new_path: string }[];
  attributes: { path: string; key: string; old: unknown; new: unknown }[];
  arrays: { path: string; chunks_changed: number }[];
}

interface CommitDetails {
  id: string;
  short_id: string;
  parents: string[];
  author_name: string | null;
  author_email: string | null;
  time: string;
  message: string;
  refs: { kind: string; name: string; current: boolean }[];
  provenance: { notebook?: string; cell?: string } | null;
  metadata: Record<string, unknown>;
  changes: Changes;
}

export interface CheckoutState {
  branch: string | null;
  head: string | null;
  last_branch: string;
  for_writing: boolean;
  session: string;
  expiration: string | null;
}

export interface HistoryState {
  repo_name: string;
  checkout: CheckoutState | null;
  refs: { kind: "branch" | "tag"; name: string; commit_id: string | null }[];
  /** Goes up whenever the refs or the checkout changed: the rows are fetched again. */
  version: number;
  problem: RemoteError | null;
}

export interface HistoryOptions {
  /** "Compare with…" then another commit: the two commit ids (``a`` chosen first). */
  onCompare?: (a: string, b: string) => void;
  pageSize?: number;
  rowHeight?: number;
  /** Offer the actions that change the kernel's checkout (check out, back to the branch); default
   * true. The JupyterLab sidebar turns them off: it never changes a kernel's state behind its back. */
  kernelActions?: boolean;
  /** A commit was selected (its details load): the host may act on it (the sidebar's "Use in notebook"). */
  onSelect?: (id: string) => void;
}

export interface HistoryHandle {
  dispose(): void;
  /** New state from the host (synced traits, or the sidebar's poll). */
  update(state: HistoryState): void;
  /** Select a commit by id (loads its details). */
  select(id: string): void;
}

const ROW = 28;
const SEARCH_DEBOUNCE_MS = 250;

const PANEL_CSS = `
.aln-root.aln-history { max-width: 980px; }
.aln-history .aln-head { display: flex; flex-wrap: wrap; gap: 4px 12px; align-items: center; margin-bottom: 6px; }
.aln-history .aln-repo { font-weight: 600; }
.aln-history .aln-ref-name { font-weight: 600; }
.aln-history .aln-detached { color: var(--aln-fg); font-weight: 600; border-left: 3px solid var(--aln-warn); padding-left: 6px; }
.aln-history .aln-spacer { flex: 1; }
.aln-history input[type="search"], .aln-history input[type="text"] {
  font: inherit; color: var(--aln-input-fg); background: var(--aln-input-bg);
  border: 1px solid var(--aln-border); border-radius: 3px; padding: 2px 6px;
}
.aln-history input[type="search"] { width: 16em; }
.aln-history .aln-count { color: var(--aln-fg-muted); margin: 2px 0 4px; min-height: 1.4em; }
.aln-history .aln-vlist { max-height: 336px; min-height: 56px; border: 1px solid var(--aln-border); border-radius: 3px; background: var(--aln-bg); }
.aln-history .aln-vlist:focus-visible { outline: 2px solid var(--aln-accent); outline-offset: 1px; }
.aln-history .aln-hrow {
  display: flex; align-items: center; gap: 8px; padding-right: 8px; cursor: pointer; white-space: nowrap; overflow: hidden;
  color: var(--aln-fg);
}
.aln-history .aln-hrow:hover { background: var(--aln-bg-raised); }
.aln-history .aln-hrow[aria-selected="true"] { background: var(--aln-bg-raised); box-shadow: inset 3px 0 0 var(--aln-accent); }
.aln-history .aln-hrow.aln-compare-from { box-shadow: inset 3px 0 0 var(--aln-warn); }
.aln-history .aln-graph { flex: none; color: var(--aln-fg); }
.aln-history .aln-labels { display: inline-flex; gap: 4px; flex: none; max-width: 40%; overflow: hidden; }
.aln-history .aln-label {
  display: inline-block; padding: 0 5px; border: 1px solid var(--aln-border); border-radius: 9px; font-size: 0.85em;
  line-height: 1.5; max-width: 14em; overflow: hidden; text-overflow: ellipsis; color: var(--aln-fg);
  background: var(--aln-bg);
}
.aln-history .aln-label.aln-current { font-weight: 700; border-width: 2px; }
.aln-history .aln-label.aln-tag { border-style: dashed; border-radius: 3px; }
.aln-history .aln-label.aln-head { border-color: var(--aln-warn); font-weight: 700; }
.aln-history .aln-msg { flex: 1 1 auto; overflow: hidden; text-overflow: ellipsis; min-width: 4em; }
.aln-history .aln-author { flex: 0 1 11em; overflow: hidden; text-overflow: ellipsis; color: var(--aln-fg-muted); }
.aln-history .aln-time { flex: 0 0 7.5em; text-align: right; color: var(--aln-fg-muted); }
.aln-history .aln-sha { flex: 0 0 5.2em; font-family: var(--aln-mono); color: var(--aln-fg-muted); font-size: 0.92em; }
.aln-history .aln-hrow:hover *, .aln-history .aln-hrow[aria-selected="true"] * { color: var(--aln-fg); }
.aln-history .aln-vlist-placeholder { color: var(--aln-fg-muted); padding-left: 12px; line-height: 28px; font-style: italic; }
.aln-history .aln-banner { border-left: 3px solid var(--aln-warn); padding: 2px 8px; margin: 6px 0; display: flex; gap: 8px; align-items: center; }
.aln-history .aln-details { margin-top: 8px; border-top: 1px solid var(--aln-border); padding-top: 6px; }
.aln-history .aln-details-title { font-weight: 600; white-space: pre-wrap; }
.aln-history table.aln-props { border-collapse: collapse; margin: 4px 0; }
.aln-history table.aln-props th { text-align: left; font-weight: 600; padding: 1px 10px 1px 0; vertical-align: top; }
.aln-history table.aln-props td { padding: 1px 0; }
.aln-history .aln-id { font-family: var(--aln-mono); }
.aln-history button.aln-link { border: none; background: none; padding: 0 2px; font-family: var(--aln-mono); text-decoration: underline; color: var(--aln-fg); }
.aln-history pre.aln-pre {
  margin: 4px 0; padding: 4px 6px; max-height: 180px; overflow: auto; background: var(--aln-bg-raised);
  border: 1px solid var(--aln-border); border-radius: 3px; font-family: var(--aln-mono); font-size: 0.92em; white-space: pre-wrap;
}
.aln-history .aln-changes-title { font-weight: 600; margin-top: 6px; }
.aln-history ul.aln-list { margin: 2px 0 4px 1.2em; padding: 0; }
.aln-history .aln-path { font-family: var(--aln-mono); }
.aln-history .aln-actions { display: flex; flex-wrap: wrap; gap: 6px; align-items: center; margin-top: 8px; }
.aln-history .aln-form { display: flex; flex-wrap: wrap; gap: 6px; align-items: center; margin-top: 6px; }
.aln-history .aln-hint { color: var(--aln-fg-muted); }
.aln-history .aln-busy { color: var(--aln-fg-muted); font-style: italic; }
`;

type Loaded<T> = T | RemoteError | "loading" | null;

function isError(x: unknown): x is RemoteError {
  return !!x && typeof x === "object" && "type" in x && "message" in x && !("id" in x);
}

function failed(r: Reply): RemoteError {
  return r.error ?? { type: "Error", message: "The request failed." };
}

function label(r: RefLabel | { kind: string; name: string; current: boolean }, colour?: string): HTMLElement {
  const kind = r.kind === "tag" ? "tag" : r.kind === "head" ? "detached checkout" : "branch";
  const node = el("span", {
    class: `aln-label aln-${r.kind}${r.current ? " aln-current" : ""}`,
    title: `${kind} ${r.name}${r.current && r.kind === "branch" ? " (checked out)" : ""}`,
    "data-ref": r.name,
  }, r.kind === "tag" ? `tag: ${r.name}` : r.name);
  if (colour && r.kind === "branch") node.style.borderColor = colour;
  return node;
}

export function mountHistory(host: HTMLElement, source: Source, options: HistoryOptions = {}): HistoryHandle {
  ensureStyle("arraylake-nb-theme", THEME_CSS);
  ensureStyle("arraylake-nb-history", PANEL_CSS);
  const rowHeight = options.rowHeight ?? ROW;
  const pageSize = options.pageSize ?? 100;
  const t0 = performance.now();
  performance.mark("arraylake-history-mount");

  let state: HistoryState = { repo_name: "", checkout: null, refs: [], version: 0, problem: null };
  let search = "";
  let lanes = 1;
  let total: number | null = null;
  let selected: string | null = null;
  let selectedIndex: number | null = null;
  let details: Loaded<CommitDetails> = null;
  let detailsToken = 0;
  let compareFrom: string | null = null;
  let form: { kind: "tag" | "branch"; name: string; message: string } | null = null;
  let busy: string | null = null;
  let outcome: { error?: RemoteError; notice?: string; retry?: { label: string; run: () => void } } | null = null;
  let pageError: RemoteError | null = null;
  let painted = false;
  let seenVersion: number | null = null;

  const root = el("div", { class: "aln-root aln-history", "data-testid": "history-panel" });
  const head = el("div", { class: "aln-head" });
  const searchBox = el("input", { type: "search", placeholder: "Search message or author", "aria-label": "Search commits" });
  const count = el("div", { class: "aln-count", "data-testid": "count", role: "status" });
  const banner = el("div");
  const below = el("div");
  const list = new VirtualList<HistoryRow & { above: Edge[] }>({
    rowHeight,
    pageSize,
    label: "Commits",
    load(offset, limit) {
      const query = search;
      const { id, reply } = source.request<HistoryPage>("page", { offset, limit, search: query || null });
      const promise = reply.then((r): Page<HistoryRow & { above: Edge[] }> | null => {
        if (r.cancelled) return null;
        if (!r.ok || !r.result) {
          pageError = failed(r);
          drawCount();
          return null;
        }
        pageError = null;
        const page = r.result;
        const items = page.rows.map((row, k) => ({ ...row, above: k === 0 ? page.incoming : page.rows[k - 1].edges }));
        if (page.width > lanes) {
          lanes = Math.min(page.width, 24);
          list.rerender();
        }
        return { total: page.total, offset: page.offset, items };
      });
      return { promise, cancel: () => source.cancel(id) };
    },
    render: renderRow,
    placeholder: () => el("div", { class: "aln-vlist-placeholder" }, "Loading…"),
    onTotal(n, previous) {
      // New commits arrive at the top: keep the rows the user is looking at where they are.
      if (previous !== null && !search && n > previous && list.element.scrollTop > 0) {
        list.element.scrollTop += (n - previous) * rowHeight;
      }
      total = n;
      drawCount();
    },
    onRendered(_first, _last, withData) {
      if (painted || !withData) return;
      painted = true;
      requestAnimationFrame(() => {
        performance.mark("arraylake-history-first-paint");
        root.dataset.firstPaintMs = (performance.now() - t0).toFixed(1);
      });
    },
  });
  list.element.tabIndex = 0;
  host.appendChild(root);
  replaceChildren(root, head, count, banner, list.element, below);

  function renderRow(row: HistoryRow & { above: Edge[] }, index: number): HTMLElement {
    const colour = colourOf(row.colour);
    const node = el("div", {
      class: `aln-hrow${compareFrom === row.id ? " aln-compare-from" : ""}`,
      role: "option",
      "aria-selected": row.id === selected ? "true" : "false",
      "data-id": row.id,
      "data-index": String(index),
    },
    drawRow({ ...row, edges: search ? [] : row.edges }, search ? [] : row.above, rowHeight, lanes),
    row.refs.length ? el("span", { class: "aln-labels" }, ...row.refs.map((r) => label(r, colour))) : null,
    el("span", { class: "aln-msg", title: row.message }, row.message),
    el("span", { class: "aln-author", title: row.author_email ?? "" }, row.author_name ?? ""),
    el("span", { class: "aln-time", title: localTime(row.time) }, shortTime(row.time)),
    el("span", { class: "aln-sha" }, row.short_id));
    node.addEventListener("click", () => choose(row.id, index));
    return node;
  }

  function choose(id: string, index: number | null) {
    if (compareFrom !== null && compareFrom !== id) {
      const a = compareFrom;
      compareFrom = null;
      drawBanner();
      list.rerender();
      if (options.onCompare) options.onCompare(a, id);
      outcome = { notice: `Comparing ${shortId(a)} with ${shortId(id)}.` };
      drawBelow();
      return;
    }
    select(id, index);
  }

  function select(id: string, index: number | null = null) {
    selected = id;
    selectedIndex = index;
    form = null;
    list.rerender();
    options.onSelect?.(id);
    void loadDetails(id);
  }

  async function loadDetails(id: string) {
    const token = ++detailsToken;
    details = "loading";
    drawBelow();
    const r = await source.request<CommitDetails>("details", { commit: id }).reply;
    if (token !== detailsToken || r.cancelled) return;
    details = r.ok && r.result ? r.result : failed(r);
    drawBelow();
  }

  async function act(type: string, payload: Record<string, unknown>, doing: string, done: (result: Record<string, unknown>) => string) {
    busy = doing;
    outcome = null;
    drawBelow();
    const r = await source.request<Record<string, unknown>>(type, payload).reply;
    busy = null;
    if (r.ok) {
      outcome = { notice: done(r.result ?? {}) };
      form = null;
    } else {
      const error = failed(r);
      outcome = { error };
      if (error.type === "UncommittedChangesError") {
        outcome.retry = {
          label: "Check out anyway (keep the changes in their session)",
          run: () => void act(type, { ...payload, keep_changes: true }, doing, done),
        };
      }
    }
    drawBelow();
  }

  const checkoutNotice = (r: Record<string, unknown>) =>
    (r.branch ? `Checked out ${String(r.branch)}: repo writes there again.`
      : `Checked out ${shortId(String(r.head ?? ""))}: repo is ${String(r.notice ?? "read-only there")}.`)
    + (r.kept_in_session ? ` The uncommitted changes stay in session ${shortId(String(r.kept_in_session))} (repo.join_session('${String(r.kept_in_session)}')).` : "");

  // -- drawing ---------------------------------------------------------------------------------
  function drawHead() {
    const c = state.checkout;
    const parts: Child[] = [el("span", { class: "aln-repo" }, state.repo_name)];
    if (c && c.branch) {
      parts.push(el("span", { "data-testid": "checkout" }, "on ", el("span", { class: "aln-ref-name" }, c.branch),
        c.head ? " at " : ", no commits yet", c.head ? el("span", { class: "aln-id", title: c.head }, shortId(c.head)) : null));
    } else if (c && options.kernelActions === false) {
      parts.push(el("span", { class: "aln-detached", "data-testid": "checkout" }, "detached at ",
        el("span", { class: "aln-id", title: c.head ?? "" }, shortId(c.head) || "empty")));
    } else if (c) {
      const back = el("button", { disabled: busy !== null, "data-testid": "back" }, `Back to ${c.last_branch}`);
      back.addEventListener("click", () => void act("back", { branch: c.last_branch }, `Checking out ${c.last_branch}…`, checkoutNotice));
      parts.push(el("span", { class: "aln-detached", "data-testid": "checkout" }, "detached at ",
        el("span", { class: "aln-id", title: c.head ?? "" }, shortId(c.head) || "empty"), " (read-only)"), back);
    }
    parts.push(el("span", { class: "aln-spacer" }), searchBox);
    replaceChildren(head, ...parts);
  }

  function drawCount() {
    const bits: Child[] = [];
    if (total === null) bits.push(search ? "Searching…" : "Loading the history…");
    else if (search) bits.push(total ? `${plural(total, "commit")} match “${search}”` : `No commit matches “${search}”.`);
    else bits.push(total ? `${plural(total, "commit")} on every branch` : "No commits yet.");
    replaceChildren(count, ...bits);
    if (pageError) count.append(errorBox(pageError));
  }

  function drawBanner() {
    if (compareFrom === null) {
      replaceChildren(banner);
      return;
    }
    const cancel = el("button", null, "Cancel");
    cancel.addEventListener("click", () => {
      compareFrom = null;
      drawBanner();
      list.rerender();
    });
    replaceChildren(banner, el("div", { class: "aln-banner", role: "status", "data-testid": "compare-banner" },
      `Select another commit to compare with ${shortId(compareFrom)}.`, cancel));
  }

  function changesList(ch: Changes): HTMLElement {
    if (ch.empty) return el("div", { class: "aln-hint" }, "No changes (an empty commit).");
    const items: HTMLElement[] = [];
    for (const a of ch.added) items.push(el("li", null, "added ", a.kind, " ", el("span", { class: "aln-path" }, `/${a.path}`)));
    for (const d of ch.deleted) items.push(el("li", null, "deleted ", d.kind, " ", el("span", { class: "aln-path" }, `/${d.path}`)));
    for (const m of ch.moved) items.push(el("li", null, "moved ", el("span", { class: "aln-path" }, `/${m.old_path}`), " → ", el("span", { class: "aln-path" }, `/${m.new_path}`)));
    for (const a of ch.arrays) items.push(el("li", null, el("span", { class: "aln-path" }, `/${a.path}`), `: ${plural(a.chunks_changed, "chunk")} changed`));
    for (const a of ch.attributes) {
      items.push(el("li", null, el("span", { class: "aln-path" }, `/${a.path}`), ` attribute ${a.key}: `,
        el("span", { class: "aln-id" }, JSON.stringify(a.old) ?? "–"), " → ", el("span", { class: "aln-id" }, JSON.stringify(a.new) ?? "–")));
    }
    return el("ul", { class: "aln-list", "data-testid": "changes" }, ...items);
  }

  function copyButton(text: string): HTMLElement {
    const b = el("button", { title: "Copy the full commit id" }, "Copy");
    b.addEventListener("click", () => {
      const done = () => { b.textContent = "Copied"; };
      const fallback = () => {
        // No clipboard API (an insecure context): select the id so Ctrl+C copies it.
        const id = b.parentElement?.querySelector(".aln-id");
        if (id) {
          const range = document.createRange();
          range.selectNodeContents(id);
          const sel = window.getSelection();
          sel?.removeAllRanges();
          sel?.addRange(range);
          b.textContent = "Selected: press Ctrl+C";
        }
      };
      if (navigator.clipboard?.writeText) navigator.clipboard.writeText(text).then(done, fallback);
      else fallback();
    });
    return b;
  }

  function refForm(d: CommitDetails): HTMLElement | null {
    if (!form) return null;
    const f = form;
    const kind = f.kind;
    const input = el("input", { type: "text", "aria-label": `New ${kind} name`, placeholder: kind === "tag" ? "v1.0" : "feature/x" });
    input.value = f.name;
    const msg = kind === "tag" ? el("input", { type: "text", "aria-label": "Tag message (optional)", placeholder: "message (optional)" }) : null;
    if (msg) msg.value = f.message;
    const create = el("button", { class: "aln-primary" }, kind === "tag" ? "Create tag" : "Create branch");
    const cancel = el("button", null, "Cancel");
    const hint = el("span", { class: "aln-hint", "data-testid": "name-hint" });
    const check = () => {
      const name = input.value.trim();
      const taken = state.refs.find((r) => r.kind === kind && r.name === name);
      if (!name) hint.textContent = `Type a ${kind} name (letters, digits, '.', '_', '-', '/').`;
      else if (taken) hint.textContent = `A ${kind} named ${name} already exists (at ${shortId(taken.commit_id)}): choose another name.`;
      else hint.textContent = "";
      create.disabled = !name || !!taken || busy !== null;
    };
    input.addEventListener("input", () => { f.name = input.value; check(); });
    msg?.addEventListener("input", () => { f.message = msg.value; });
    const submit = () => {
      if (create.disabled) return;
      const name = input.value.trim();
      const payload: Record<string, unknown> = { commit: d.id, name };
      if (kind === "tag" && f.message.trim()) payload.message = f.message.trim();
      void act(kind, payload, `Creating ${kind} ${name}…`, () => `Created ${kind} ${name} at ${d.short_id}.`);
    };
    create.addEventListener("click", submit);
    input.addEventListener("keydown", (e) => { if (e.key === "Enter") submit(); if (e.key === "Escape") { form = null; drawBelow(); } });
    cancel.addEventListener("click", () => { form = null; drawBelow(); });
    check();
    queueMicrotask(() => { if (document.activeElement === document.body || !root.contains(document.activeElement)) input.focus(); });
    return el("div", { class: "aln-form", "data-testid": `${kind}-form` },
      `${kind === "tag" ? "Tag" : "Branch"} ${d.short_id} as`, input, msg, create, cancel, hint);
  }

  function detailsPane(): HTMLElement | null {
    if (details === null) return el("div", { class: "aln-details aln-hint" }, "Select a commit to see what it changed and act on it.");
    if (details === "loading") return el("div", { class: "aln-details aln-busy" }, "Loading the commit…");
    if (isError(details)) return el("div", { class: "aln-details" }, errorBox(details));
    const d = details;
    const [title, ...rest] = d.message.split("\n");
    const body = rest.join("\n").trim();
    const parents = d.parents.length
      ? d.parents.map((p) => {
        const b = el("button", { class: "aln-link", title: p }, shortId(p));
        b.addEventListener("click", () => select(p));
        return b;
      })
      : [el("span", { class: "aln-hint" }, "none (the first commit)")];
    const props: [string, Child[]][] = [
      ["commit", [el("span", { class: "aln-id", "data-testid": "full-id" }, d.id), " ", copyButton(d.id)]],
      [d.parents.length > 1 ? "parents" : "parent", parents],
      ["author", [`${d.author_name ?? "unknown"}${d.author_email ? ` <${d.author_email}>` : ""}`]],
      ["time", [el("span", { title: d.time }, humanTime(d.time))]],
    ];
    if (d.refs.length) props.push(["refs", d.refs.map((r) => label(r))]);
    if (state.checkout?.head === d.id) {
      props.push(["checkout", [state.checkout.branch ? `the checkout of ${state.checkout.branch} is here` : "checked out here (read-only)"]]);
    }
    const prov = d.provenance;
    const checkout = el("button", { class: "aln-primary", disabled: busy !== null, title: "repo.checkout(this commit): read-only here" }, "Check out");
    checkout.addEventListener("click", () => void act("checkout", { commit: d.id }, `Checking out ${d.short_id}…`, checkoutNotice));
    const tag = el("button", { disabled: busy !== null }, "Tag here…");
    tag.addEventListener("click", () => { form = { kind: "tag", name: "", message: "" }; outcome = null; drawBelow(); });
    const branch = el("button", { disabled: busy !== null }, "Branch here…");
    branch.addEventListener("click", () => { form = { kind: "branch", name: "", message: "" }; outcome = null; drawBelow(); });
    const compare = el("button", { disabled: busy !== null, title: "Then select the commit to compare with" }, "Compare with…");
    compare.addEventListener("click", () => { compareFrom = d.id; form = null; outcome = null; drawBanner(); drawBelow(); list.rerender(); });
    return el("div", { class: "aln-details", "data-testid": "details" },
      el("div", { class: "aln-details-title" }, title),
      body ? el("pre", { class: "aln-pre" }, body) : null,
      el("table", { class: "aln-props" }, ...props.map(([k, v]) => el("tr", null, el("th", null, k), el("td", null, ...v)))),
      el("div", { class: "aln-changes-title" }, "Changes"),
      changesList(d.changes),
      prov ? el("div", { "data-testid": "provenance" },
        el("div", null, "Made by ", prov.notebook ? el("span", { class: "aln-path" }, prov.notebook) : "a notebook", prov.cell ? " in this cell:" : ""),
        prov.cell ? el("pre", { class: "aln-pre" }, prov.cell) : null) : null,
      Object.keys(d.metadata).length ? el("details", null, el("summary", null, "Metadata"),
        el("pre", { class: "aln-pre" }, JSON.stringify(d.metadata, null, 2))) : null,
      el("div", { class: "aln-actions" }, options.kernelActions === false ? null : checkout, tag, branch, compare),
      refForm(d));
  }

  function drawBelow() {
    const out: Child[] = [];
    if (state.problem) out.push(errorBox(state.problem));
    if (busy) out.push(el("div", { class: "aln-busy" }, busy));
    if (outcome?.error) {
      let retry: HTMLElement | null = null;
      if (outcome.retry) {
        const r = outcome.retry;
        retry = el("div", null, el("button", { class: "aln-danger" }, r.label));
        retry.firstElementChild!.addEventListener("click", () => r.run());
      }
      out.push(errorBox(outcome.error, retry));
    }
    if (outcome?.notice) out.push(el("div", { class: "aln-notice", role: "status" }, outcome.notice));
    out.push(detailsPane());
    replaceChildren(below, ...out);
    drawHead();
  }

  function draw() {
    drawCount();
    drawBanner();
    drawBelow();
  }

  // -- input -----------------------------------------------------------------------------------
  let debounce: ReturnType<typeof setTimeout> | undefined;
  searchBox.addEventListener("input", () => {
    clearTimeout(debounce);
    debounce = setTimeout(() => {
      const next = searchBox.value.trim();
      if (next === search) return;
      search = next;
      total = null;
      list.reset();
      drawCount();
    }, SEARCH_DEBOUNCE_MS);
  });
  list.element.addEventListener("keydown", (e) => {
    if (e.key !== "ArrowDown" && e.key !== "ArrowUp") return;
    e.preventDefault();
    const n = list.size ?? 0;
    const at = selectedIndex ?? (e.key === "ArrowDown" ? -1 : n);
    const next = Math.max(0, Math.min(n - 1, at + (e.key === "ArrowDown" ? 1 : -1)));
    list.scrollToIndex(next);
    const row = list.item(next);
    if (row) select(row.id, next);
  });

  draw();
  const timer = setInterval(() => { list.rerender(); }, 60_000); // relative times age

  return {
    update(next: HistoryState) {
      const changed = seenVersion !== null && next.version !== seenVersion;
      seenVersion = next.version;
      state = next;
      if (changed) {
        list.reload();
        if (selected && details !== "loading") void loadDetails(selected);
      }
      draw();
    },
    select(id: string) {
      select(id);
    },
    dispose() {
      clearInterval(timer);
      clearTimeout(debounce);
      list.dispose();
      root.remove();
    },
  };
}
