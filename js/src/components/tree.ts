// The hierarchy of a repository at any ref: lazy children, node details (attributes, shape,
// dtype, chunks) and, where the source serves it, an array preview. Mounted by the TreePanel
// widget (requests over the comm) and by the JupyterLab sidebar (over HTTP, no preview there).
// Requests: children, node_info, preview (``ref`` null = the kernel's checkout).
import { el, replaceChildren, type Child } from "../shared/dom";
import { plural, relativeTime } from "../shared/format";
import type { RemoteError, Reply, Source } from "../shared/source";
import { THEME_CSS, ensureStyle } from "../shared/theme";
import { errorBox, refPicker, withCommitIdEntry, type CommitIdState, type RefEntry } from "../shared/ui";
import { dimsText as dims, indexSliders, previewCanvas, previewSummary, type PreviewHeader } from "../shared/plot";

interface Entry {
  name: string;
  path: string;
  kind: string;
  shape: number[] | null;
  dtype: string | null;
  chunks: number[] | null;
  has_children: boolean;
  virtual_sources?: string[];
}

interface ArrayVersions {
  path: string;
  versions: {
    commit_id: string; short_id: string; time: string | null; author_name: string | null; message: string;
    created: boolean; deleted: boolean; chunks_changed: boolean; attributes_changed: boolean; metadata_changed: boolean;
  }[];
}

interface Children { children: Entry[]; truncated: number }

interface ArrayInfo {
  shape: number[];
  dtype: string;
  chunk_shape: number[];
  chunk_grid: number[];
  chunks_total: number;
  shard_shape: number[] | null;
  codecs: { name: string; configuration: Record<string, unknown> }[];
  fill_value: unknown;
  dimension_names: (string | null)[] | null;
  chunks_stored: number;
  chunks_stored_total: number;
  bytes_stored: number;
  nbytes: number;
}

interface NodeInfo {
  path: string;
  name: string;
  kind: string;
  attributes: Record<string, unknown>;
  array: ArrayInfo | null;
  virtual_sources?: string[];
}

export interface TreeOptions {
  repoName: string;
  /** The ref shown first; "" = the checkout (with its uncommitted changes). */
  ref: string;
  /** Branches and tags for the picker. */
  refs: RefEntry[];
  /** Offer "checkout (with uncommitted changes)" in the picker; default true (the sidebar has none). */
  checkout?: boolean;
  /** Ask for array previews (binary replies); default true. */
  preview?: boolean;
}

export interface TreeHandle {
  dispose(): void;
  setRef(ref: string): void;
  setRefList(refs: RefEntry[]): void;
  setProblem(problem: RemoteError | null): void;
  /** The ref shown ("" = the checkout). */
  readonly ref: string;
}

const PANEL_CSS = `
.aln-tree .aln-head { display: flex; flex-wrap: wrap; gap: 4px 12px; align-items: center; margin-bottom: 6px; }
.aln-tree .aln-repo { font-weight: 600; }
.aln-tree ul.aln-versions { margin: 2px 0 0; padding: 0; list-style: none; }
.aln-tree ul.aln-versions li { margin: 2px 0; }
.aln-tree button.aln-link { border: none; background: none; padding: 0; color: var(--aln-accent); text-decoration: underline; cursor: pointer; }
.aln-tree ul.aln-sources { margin: 0; padding: 0; list-style: none; word-break: break-all; }
.aln-tree .aln-body { display: flex; flex-wrap: wrap; gap: 10px; align-items: flex-start; }
.aln-tree .aln-nodes { flex: 1 1 220px; min-width: 200px; max-height: 420px; overflow: auto; }
.aln-tree .aln-details { flex: 2 1 300px; min-width: 260px; border-left: 1px solid var(--aln-border); padding-left: 10px; }
.aln-tree .aln-row { display: flex; gap: 6px; align-items: baseline; padding: 1px 4px; cursor: pointer; border-radius: 3px; white-space: nowrap; }
.aln-tree .aln-row:hover { background: var(--aln-bg-raised); }
.aln-tree .aln-row:focus { outline: 2px solid var(--aln-accent); outline-offset: -2px; }
.aln-tree .aln-row[aria-selected="true"] { background: var(--aln-bg-raised); box-shadow: inset 3px 0 0 var(--aln-accent); }
/* Muted grey on the raised background is below 4.5:1: full text colour on hovered/selected rows. */
.aln-tree .aln-row:hover *, .aln-tree .aln-row[aria-selected="true"] * { color: var(--aln-fg); }
.aln-tree .aln-toggle { display: inline-block; width: 1em; text-align: center; color: var(--aln-fg-muted); }
.aln-tree .aln-name { font-family: var(--aln-mono); }
.aln-tree .aln-kind {
  padding: 0 4px; border: 1px solid var(--aln-border); border-radius: 3px; font-size: 0.85em; color: var(--aln-fg-muted);
}
.aln-tree .aln-sub { color: var(--aln-fg-muted); font-size: 0.92em; }
.aln-tree table.aln-props { border-collapse: collapse; margin: 4px 0; }
.aln-tree table.aln-props th { text-align: left; font-weight: 600; padding: 1px 10px 1px 0; vertical-align: top; }
.aln-tree table.aln-props td { font-family: var(--aln-mono); padding: 1px 0; }
.aln-tree details summary { cursor: pointer; }
.aln-tree pre.aln-json {
  margin: 4px 0; padding: 4px 6px; max-height: 200px; overflow: auto; background: var(--aln-bg-raised);
  border: 1px solid var(--aln-border); border-radius: 3px; font-family: var(--aln-mono); font-size: 0.92em;
}
.aln-tree .aln-preview { margin-top: 8px; }
.aln-tree .aln-preview canvas {
  display: block; max-width: 100%; border: 1px solid var(--aln-border); image-rendering: pixelated;
  color: var(--aln-accent); background: var(--aln-bg-raised);
}
.aln-tree .aln-sliders label { display: flex; gap: 6px; align-items: center; }
.aln-tree .aln-busy { color: var(--aln-fg-muted); font-style: italic; }
`;

function fmtBytes(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = n, u = 0;
  while (v >= 1024 && u < units.length - 1) { v /= 1024; u++; }
  return u === 0 ? `${n} B` : `${v.toFixed(1)} ${units[u]}`;
}


export function mountTree(host: HTMLElement, source: Source, options: TreeOptions): TreeHandle {
  ensureStyle("arraylake-nb-theme", THEME_CSS);
  ensureStyle("arraylake-nb-tree-panel", PANEL_CSS);
  const root = el("div", { class: "aln-root aln-tree", "data-testid": "tree-panel" });
  host.appendChild(root);

  let ref = options.ref;
  let refs = options.refs;
  let problem: RemoteError | null = null;
  let generation = 0; // bumps on each ref change: late replies for another ref are dropped
  const listed = new Map<string, Children | RemoteError | "loading">();
  const expanded = new Set<string>();
  let selected: string | null = null;
  let info: NodeInfo | RemoteError | "loading" | null = null;
  let preview: { header: PreviewHeader; canvas: HTMLCanvasElement } | RemoteError | "loading" | null = null;
  let index: Record<string, number> = {};
  let focusPath: string | null = null;
  let attrsOpen = false; // the attributes stay open across redraws and selections once opened
  const commitId: CommitIdState = { typing: false, value: "", focused: false }; // the picker's id field, across redraws
  // The commits that changed the selected array (asked for when its section is opened).
  let historyOpen = false;
  let history: { path: string; ref: string; result: ArrayVersions | RemoteError | "loading" } | null = null;

  const isError = (x: unknown): x is RemoteError => !!x && typeof x === "object" && "message" in x && "type" in x && !("children" in x);
  const refArg = () => (ref === "" ? null : ref);

  async function ask<T>(type: string, payload: Record<string, unknown>): Promise<Reply<T> | null> {
    const gen = generation;
    const r = await source.request<T>(type, { ref: refArg(), ...payload }).reply;
    return gen === generation ? r : null;
  }

  async function list(path: string) {
    listed.set(path, "loading");
    draw();
    const r = await ask<Children>("children", { path });
    if (!r) return;
    listed.set(path, r.ok ? (r.result as Children) : (r.error ?? { type: "Error", message: "Failed." }));
    draw();
  }

  async function loadPreview(path: string) {
    preview = "loading";
    draw();
    const selection = Object.keys(index).length ? { index } : {};
    const r = await ask<PreviewHeader>("preview", { path, selection });
    if (!r || selected !== path) return;
    if (!r.ok || !r.result) {
      preview = r.error ?? { type: "Error", message: "Failed." };
    } else if (!r.buffers || !r.buffers.length) {
      preview = { type: "Error", message: "The preview arrived without its values." };
    } else {
      const header = r.result;
      const colour = getComputedStyle(root).getPropertyValue("--aln-accent").trim();
      const canvas = previewCanvas(header, r.buffers[0], colour);
      preview = { header, canvas };
    }
    draw();
  }

  async function select(path: string) {
    if (selected !== path) index = {};
    selected = path;
    info = "loading";
    preview = null;
    draw();
    const r = await ask<NodeInfo>("node_info", { path });
    if (!r || selected !== path) return;
    info = r.ok ? (r.result as NodeInfo) : (r.error ?? { type: "Error", message: "Failed." });
    draw();
    if (!isError(info) && info?.kind === "array" && options.preview !== false) void loadPreview(path);
  }

  function toggle(entry: Entry) {
    if (!entry.has_children) return;
    if (expanded.has(entry.path)) expanded.delete(entry.path);
    else {
      expanded.add(entry.path);
      if (!listed.has(entry.path) || isError(listed.get(entry.path))) void list(entry.path);
    }
    draw();
  }

  function setRef(value: string) {
    ref = value;
    generation++;
    listed.clear();
    // Keep the open groups and the selection: they show again where they exist at the new ref.
    void list("");
    for (const p of expanded) void list(p);
    if (selected !== null) void select(selected);
  }

  function rows(path: string, depth: number): HTMLElement[] {
    const state = listed.get(path);
    const indent = (d: number) => `${d * 16 + 4}px`;
    if (state === undefined || state === "loading") {
      const r = el("div", { class: "aln-busy" }, "Loading…");
      r.style.paddingLeft = indent(depth);
      return [r];
    }
    if (isError(state)) {
      const box = errorBox(state);
      box.style.marginLeft = indent(depth);
      return [box];
    }
    const out: HTMLElement[] = [];
    if (depth === 0 && state.children.length === 0) out.push(el("div", { class: "aln-muted" }, "Nothing here yet."));
    for (const c of state.children) {
      const open = expanded.has(c.path);
      const row = el("div", {
        class: "aln-row", role: "treeitem", "data-path": c.path,
        "aria-selected": selected === c.path ? "true" : "false",
        "aria-expanded": c.has_children ? String(open) : undefined,
        title: c.path,
      },
      el("span", { class: "aln-toggle", "data-testid": "toggle" }, c.has_children ? (open ? "▾" : "▸") : ""),
      el("span", { class: "aln-name" }, c.name),
      el("span", { class: "aln-kind" }, c.kind),
      c.virtual_sources?.length
        ? el("span", { class: "aln-kind aln-virtual", title: `chunks read from ${c.virtual_sources.join(", ")}` }, "virtual")
        : null,
      c.shape ? el("span", { class: "aln-sub" }, `${dims(c.shape)} ${c.dtype ?? ""}`) : null);
      row.tabIndex = 0;
      row.style.paddingLeft = indent(depth);
      row.addEventListener("click", (e) => {
        focusPath = c.path;
        const onToggle = (e.target as HTMLElement).closest("[data-testid=toggle]");
        if (onToggle) toggle(c);
        else void select(c.path);
      });
      row.addEventListener("keydown", (e) => {
        if (e.key === "Enter" || e.key === " ") {
          e.preventDefault();
          focusPath = c.path;
          if (c.has_children) toggle(c);
          void select(c.path);
        }
      });
      out.push(row);
      if (open) out.push(...rows(c.path, depth + 1));
    }
    if (state.truncated) out.push(el("div", { class: "aln-muted" }, `${plural(state.truncated, "more node")} not listed.`));
    return out;
  }

  function props(pairs: [string, Child][]): HTMLElement {
    return el("table", { class: "aln-props" }, ...pairs.map(([k, v]) => el("tr", null, el("th", null, k), el("td", null, v))));
  }

  function previewPane(): HTMLElement | null {
    if (preview === null) return null;
    if (preview === "loading") return el("div", { class: "aln-preview aln-busy" }, "Computing the preview…");
    if (isError(preview)) return el("div", { class: "aln-preview" }, errorBox(preview));
    const { header, canvas } = preview;
    const sliders = indexSliders(header, (next) => {
      index = next;
      if (selected !== null) void loadPreview(selected);
    });
    return el("div", { class: "aln-preview", "data-testid": "preview" },
      el("div", { class: "aln-sub" }, previewSummary(header)),
      sliders.length ? el("div", { class: "aln-sliders" }, ...sliders) : null,
      canvas);
  }

  function detailsPane(): HTMLElement {
    const pane = el("div", { class: "aln-details", "data-testid": "details" });
    if (info === null) return (pane.append(el("div", { class: "aln-muted" }, "Select a group or an array.")), pane);
    if (info === "loading") return (pane.append(el("div", { class: "aln-busy" }, "Loading…")), pane);
    if (isError(info)) return (pane.append(errorBox(info)), pane);
    const a = info.array;
    const pairs: [string, Child][] = [["path", `/${info.path}`], ["kind", info.kind]];
    if (a) {
      pairs.push(
        ["shape", dims(a.shape)],
        ["dtype", a.dtype],
        ["chunk shape", dims(a.chunk_shape)],
        ["chunk grid", dims(a.chunk_grid)],
        ...(a.shard_shape ? [["shard shape", dims(a.shard_shape)] as [string, Child]] : []),
        ["codecs", a.codecs.map((c) => c.name).join(" → ") || "–"],
        ["fill value", JSON.stringify(a.fill_value)],
        [a.shard_shape ? "shards stored" : "chunks stored", `${a.chunks_stored.toLocaleString("en")} of ${a.chunks_stored_total.toLocaleString("en")}`],
        ["bytes stored", `${fmtBytes(a.bytes_stored)} (${fmtBytes(a.nbytes)} uncompressed)`],
      );
      if (a.dimension_names) pairs.push(["dimensions", a.dimension_names.map((d) => d ?? "–").join(", ")]);
      if (info.virtual_sources?.length) {
        // Chunks that are byte ranges of other files (referenced, not copied): name the files.
        pairs.push(["virtual sources", el("ul", { class: "aln-sources", "data-testid": "virtual-sources" },
          ...info.virtual_sources.map((u) => el("li", { class: "aln-mono" }, u)))]);
      }
    }
    const nAttrs = Object.keys(info.attributes).length;
    const attrs = el("details", { "data-testid": "attributes" },
      el("summary", null, `Attributes (${nAttrs})`),
      el("pre", { class: "aln-json" }, JSON.stringify(info.attributes, null, 2)));
    attrs.open = attrsOpen;
    attrs.addEventListener("toggle", () => { attrsOpen = attrs.open; });
    pane.append(el("div", { class: "aln-name" }, info.name || "/"), props(pairs), attrs);
    if (info.kind === "array") pane.append(historySection(info.path));
    const p = previewPane();
    if (p) pane.append(p);
    return pane;
  }

  async function loadHistory(path: string) {
    const at = ref;
    history = { path, ref: at, result: "loading" };
    draw();
    const r = await ask<ArrayVersions>("array_history", { path });
    if (!r || history?.path !== path || history.ref !== at) return;
    history.result = r.ok && r.result ? r.result : (r.error ?? { type: "Error", message: "Failed." });
    draw();
  }

  /** "Commits that changed it": each version of the array in the ancestry of the ref shown. */
  function historySection(path: string): HTMLElement {
    const mine = history && history.path === path && history.ref === ref ? history.result : null;
    const count = mine && mine !== "loading" && !isError(mine) ? ` (${mine.versions.length})` : "";
    const section = el("details", { "data-testid": "array-history" }, el("summary", null, `Commits that changed it${count}`));
    section.open = historyOpen;
    section.addEventListener("toggle", () => {
      historyOpen = section.open;
      if (section.open && !mine) void loadHistory(path);
    });
    if (historyOpen && !mine) queueMicrotask(() => void loadHistory(path));
    if (mine === "loading") section.append(el("div", { class: "aln-busy" }, "Loading…"));
    else if (mine && isError(mine)) section.append(errorBox(mine));
    else if (mine) {
      section.append(el("ul", { class: "aln-versions" }, ...mine.versions.map((v) => {
        const what = v.created ? "created" : v.deleted ? "deleted" : [
          v.chunks_changed ? "chunks" : "", v.attributes_changed ? "attributes" : "", v.metadata_changed ? "metadata" : "",
        ].filter(Boolean).join(", ") || "changed";
        // A click shows the tree at that commit (the array as it was then).
        const id = el("button", { type: "button", class: "aln-link aln-mono", title: `Show the tree at ${v.commit_id}` }, v.short_id);
        id.addEventListener("click", () => setRef(v.commit_id));
        return el("li", { "data-commit": v.commit_id }, id, " ", v.message, " ",
          el("span", { class: "aln-muted" }, `· ${what} · ${v.author_name ?? "unknown"} · ${relativeTime(v.time)}`));
      })));
    }
    return section;
  }

  function header(): HTMLElement {
    const picker = refPicker(refs, ref, "Ref", "ref-picker",
      options.checkout === false ? null : { value: "", label: "checkout (with uncommitted changes)" });
    // An unknown commit id shows the kernel's error in the tree.
    return el("div", { class: "aln-head" }, el("span", { class: "aln-repo" }, options.repoName),
      el("label", null, "at ", withCommitIdEntry(picker, setRef, commitId)));
  }

  function draw() {
    const tree = el("div", { class: "aln-nodes", role: "tree", "aria-label": "Groups and arrays" }, ...rows("", 0));
    replaceChildren(root, header(), problem ? errorBox(problem) : null, el("div", { class: "aln-body" }, tree, detailsPane()));
    if (focusPath !== null) {
      const row = [...root.querySelectorAll<HTMLElement>(".aln-row")].find((r) => r.dataset.path === focusPath);
      row?.focus();
    }
  }

  void list("");
  return {
    setRef(value: string) { if (value !== ref) setRef(value); },
    setRefList(next: RefEntry[]) { refs = next; draw(); },
    setProblem(p: RemoteError | null) { problem = p; draw(); },
    get ref() { return ref; },
    dispose() { generation++; root.remove(); },
  };
}
