// What changed between two versions (views.diff_summary): nodes added, deleted and moved,
// attribute changes, and per array a heat map of changed chunks; a click on a cell asks for
// that chunk's old and new values (views.chunk_detail). Embeddable: DiffPanel mounts it, the
// HistoryPanel's "Compare with…" and the sidebar can too (any Source answers the requests).
import { el, replaceChildren, type Child } from "../shared/dom";
import { plural } from "../shared/format";
import { dimsText } from "../shared/plot";
import type { RemoteError, Source } from "../shared/source";
import { THEME_CSS, ensureStyle } from "../shared/theme";
import { errorBox, refPicker, withCommitIdEntry, type RefEntry } from "../shared/ui";

interface Heatmap {
  grid: number[];
  dims: number[];
  reduced: number[];
  bin: number[];
  binned: boolean;
  shape: [number, number];
  chunks_per_cell: number;
  state: number[][];
  changed: number[][];
  /** [row, column, chunk coordinates] of each changed cell's first changed chunk. */
  first: [number, number, number[]][];
}

interface ArrayChange {
  path: string;
  old_path: string;
  shape: number[];
  old_shape: number[] | null;
  chunk_shape: number[];
  chunks_changed: number;
  added: number;
  deleted: number;
  modified: number;
  heatmap: Heatmap;
}

interface DiffSummary {
  from_ref: string;
  to_ref: string;
  empty: boolean;
  added: { path: string; kind: string }[];
  deleted: { path: string; kind: string }[];
  moved: { old_path: string; new_path: string }[];
  attributes: { path: string; key: string; old: unknown; new: unknown }[];
  arrays: ArrayChange[];
  states: string[];
}

interface Side {
  exists: boolean;
  array_exists: boolean;
  stored_bytes: number | null;
  shape: number[] | null;
  min: number | string | null;
  max: number | string | null;
  mean: number | string | null;
  nan_count: number | null;
}

interface ChunkDetail { path: string; coords: number[]; key: string; a: Side; b: Side }

export interface DiffOptions {
  a: string;
  /** The newer version; null for the live session (uncommitted changes). */
  b: string | null;
  /** Branches and tags for the two pickers (no pickers when absent). */
  refs?: RefEntry[];
  /** Called when the user picks other refs in the panel. */
  onRefsChange?: (a: string, b: string | null) => void;
  /** Offer "the session (uncommitted changes)" as the newer side; default true. The JupyterLab
   * sidebar has no session of its own (it compares commits and refs only). */
  session?: boolean;
}

export interface DiffHandle {
  dispose(): void;
  setRefs(a: string, b: string | null): void;
  /** New branch and tag lists for the pickers. */
  setRefList(refs: RefEntry[]): void;
}

const CSS = `
.aln-diff .aln-head { display: flex; flex-wrap: wrap; gap: 4px 10px; align-items: center; margin-bottom: 6px; }
.aln-diff h4 { margin: 10px 0 2px; font-size: 1em; font-weight: 600; }
.aln-diff ul { margin: 2px 0; padding-left: 20px; }
.aln-diff .aln-path { font-family: var(--aln-mono); }
.aln-diff table { border-collapse: collapse; }
.aln-diff td, .aln-diff th { padding: 1px 10px 1px 0; text-align: left; vertical-align: top; }
.aln-diff td.aln-mono { font-family: var(--aln-mono); }
.aln-diff .aln-array { margin: 8px 0; padding-top: 6px; border-top: 1px solid var(--aln-border); }
.aln-diff .aln-heat { display: block; margin: 4px 0; cursor: crosshair; border: 1px solid var(--aln-border); image-rendering: pixelated; background: var(--aln-bg-raised); }
.aln-diff .aln-legend { display: flex; flex-wrap: wrap; gap: 2px 10px; font-size: 0.92em; }
.aln-diff .aln-swatch { display: inline-block; width: 10px; height: 10px; margin-right: 3px; border: 1px solid var(--aln-border); vertical-align: -1px; }
.aln-diff .aln-detail { margin-top: 4px; padding: 4px 8px; background: var(--aln-bg-raised); border: 1px solid var(--aln-border); border-radius: 3px; }
.aln-diff .aln-busy { color: var(--aln-fg-muted); font-style: italic; }
.aln-diff label { display: inline-flex; gap: 4px; align-items: center; }
`;

// Cell colours by state code (unchanged, modified, added, deleted, mixed): saturated enough to
// read on light and dark backgrounds; "unchanged" is the panel's raised background.
const STATE_COLOURS = ["", "#d29922", "#2da44e", "#e5534b", "#8250df"];
const CELL_MAX = 24;
const CELL_MIN = 3;
const HEAT_WIDTH = 420;

/** Grid coordinates of the first chunk a heat-map cell stands for (other dims at ``fixed``). */
export function cellCoords(h: Heatmap, row: number, col: number, fixed: Record<number, number>): number[] {
  const coords = h.grid.map((_, d) => fixed[d] ?? 0);
  const [rb, cb] = h.dims.length === 2 ? h.bin : [1, h.bin[0] ?? 1];
  if (h.dims.length === 2) {
    coords[h.dims[0]] = row * rb;
    coords[h.dims[1]] = col * cb;
  } else if (h.dims.length === 1) {
    coords[h.dims[0]] = col * cb;
  }
  return coords;
}

const show = (v: unknown) => (v === null || v === undefined ? "–" : typeof v === "number" ? String(Number(v.toPrecision(6))) : String(v));

export function mountDiff(host: HTMLElement, source: Source, options: DiffOptions): DiffHandle {
  ensureStyle("arraylake-nb-theme", THEME_CSS);
  ensureStyle("arraylake-nb-diff", CSS);
  const root = el("div", { class: "aln-root aln-diff", "data-testid": "diff-view" });
  host.appendChild(root);
  let a = options.a;
  let b = options.b;
  let refs = options.refs;
  let summary: DiffSummary | RemoteError | "loading" = "loading";
  let pending: string | null = null;
  const dims: Record<string, number[]> = {}; // per array: the grid dims its heat map shows
  const fixed: Record<string, Record<number, number>> = {}; // per array: chunk index along reduced dims
  const details = new Map<string, ChunkDetail | RemoteError | "loading">();
  const picked = new Map<string, [number, number]>();
  let detailIds: Record<string, string> = {};

  async function load() {
    if (pending) source.cancel(pending);
    summary = "loading";
    draw();
    const { id, reply } = source.request<DiffSummary>("diff_summary", { a, b, dims: Object.keys(dims).length ? dims : null });
    pending = id;
    const r = await reply;
    if (pending !== id) return; // superseded
    pending = null;
    summary = r.ok && r.result ? r.result : (r.error ?? { type: "Error", message: "Failed." });
    draw();
  }

  async function loadDetail(x: ArrayChange, row: number, col: number, useFirst = true) {
    // A cell with changes shows its first changed chunk (and the reduced-dim sliders follow it);
    // otherwise the chunk at the sliders' indices.
    const hit = useFirst ? x.heatmap.first?.find(([r, c]) => r === row && c === col) : undefined;
    const coords = hit ? hit[2] : cellCoords(x.heatmap, row, col, fixed[x.path] ?? {});
    if (hit) {
      const own = fixed[x.path] ?? (fixed[x.path] = {});
      for (const d of x.heatmap.reduced) own[d] = hit[2][d];
    }
    if (detailIds[x.path]) source.cancel(detailIds[x.path]);
    picked.set(x.path, [row, col]);
    details.set(x.path, "loading");
    draw();
    const { id, reply } = source.request<ChunkDetail>("chunk_detail", { a, b, path: x.path, coords });
    detailIds[x.path] = id;
    const r = await reply;
    if (detailIds[x.path] !== id) return;
    delete detailIds[x.path];
    if (r.cancelled) return;
    details.set(x.path, r.ok && r.result ? r.result : (r.error ?? { type: "Error", message: "Failed." }));
    draw();
  }

  function changeRefs(na: string, nb: string | null) {
    if (na === a && nb === b) return;
    a = na;
    b = nb;
    details.clear();
    picked.clear();
    for (const id of Object.values(detailIds)) source.cancel(id);
    detailIds = {};
    void load();
  }

  function header(): HTMLElement {
    const head = el("div", { class: "aln-head" }, el("strong", null, "Changes"));
    if (refs) {
      const pa = refPicker(refs, a, "From", "diff-a");
      const pb = refPicker(refs, b ?? "", "To", "diff-b",
        options.session === false ? null : { value: "", label: "the session (uncommitted changes)" });
      const changed = (na: string, nb: string | null) => {
        changeRefs(na, nb);
        options.onRefsChange?.(a, b);
      };
      head.append(
        el("label", null, "from ", withCommitIdEntry(pa, (v) => changed(v, b))),
        el("label", null, "to ", withCommitIdEntry(pb, (v) => changed(a, v === "" ? null : v))));
    } else {
      head.append(el("span", { class: "aln-path" }, a), "→", el("span", { class: "aln-path" }, b ?? "the session"));
    }
    return head;
  }

  function nodeList(title: string, items: Child[][]): HTMLElement | null {
    if (!items.length) return null;
    return el("div", { "data-testid": `diff-${title.toLowerCase()}` },
      el("h4", null, `${title} (${items.length})`), el("ul", null, ...items.map((i) => el("li", null, ...i))));
  }

  function legend(states: string[]): HTMLElement {
    return el("div", { class: "aln-legend" }, ...states.map((s, i) => {
      const sw = el("span", { class: "aln-swatch" });
      sw.style.background = STATE_COLOURS[i] || "var(--aln-bg-raised)";
      return el("span", null, sw, s);
    }));
  }

  function heatCanvas(x: ArrayChange, states: string[]): HTMLCanvasElement {
    const h = x.heatmap;
    const [rows, cols] = h.shape;
    const cell = Math.max(CELL_MIN, Math.min(CELL_MAX, Math.floor(HEAT_WIDTH / Math.max(cols, 1))));
    const canvas = el("canvas", {
      class: "aln-heat", "data-testid": "heatmap", "data-path": x.path, role: "img",
      "aria-label": `Changed chunks of /${x.path}: ${rows} × ${cols} cells`,
    });
    canvas.width = cols * cell;
    canvas.height = rows * cell;
    canvas.dataset.cell = String(cell);
    const ctx = canvas.getContext("2d");
    if (ctx) {
      // Unchanged cells stay transparent over the canvas's CSS background and the grid lines are a
      // half-transparent grey: the map follows a theme switch without being drawn again.
      for (let r = 0; r < rows; r++) {
        for (let c = 0; c < cols; c++) {
          const colour = STATE_COLOURS[h.state[r][c]];
          if (!colour) continue;
          ctx.fillStyle = colour;
          ctx.fillRect(c * cell, r * cell, cell, cell);
        }
      }
      if (cell >= 6) { // grid lines only where they leave the cells visible
        ctx.strokeStyle = "rgba(128, 128, 128, 0.45)";
        ctx.lineWidth = 1;
        for (let r = 0; r <= rows; r++) { ctx.beginPath(); ctx.moveTo(0, r * cell + 0.5); ctx.lineTo(cols * cell, r * cell + 0.5); ctx.stroke(); }
        for (let c = 0; c <= cols; c++) { ctx.beginPath(); ctx.moveTo(c * cell + 0.5, 0); ctx.lineTo(c * cell + 0.5, rows * cell); ctx.stroke(); }
      }
      const sel = picked.get(x.path);
      if (sel) { // dark outside, light inside: visible on every cell colour and theme
        ctx.lineWidth = 3;
        ctx.strokeStyle = "#000";
        ctx.strokeRect(sel[1] * cell + 1.5, sel[0] * cell + 1.5, cell - 3, cell - 3);
        ctx.lineWidth = 1;
        ctx.strokeStyle = "#fff";
        ctx.strokeRect(sel[1] * cell + 1.5, sel[0] * cell + 1.5, cell - 3, cell - 3);
      }
    }
    canvas.addEventListener("click", (e) => {
      const box = canvas.getBoundingClientRect();
      const scale = canvas.width / box.width;
      const col = Math.floor(((e.clientX - box.left) * scale) / cell);
      const row = Math.floor(((e.clientY - box.top) * scale) / cell);
      if (row >= 0 && row < rows && col >= 0 && col < cols) void loadDetail(x, row, col);
    });
    canvas.title = `${states.join(", ")}; click a cell for its chunk`;
    return canvas;
  }

  function axisControls(x: ArrayChange): HTMLElement | null {
    const h = x.heatmap;
    const nd = h.grid.length;
    if (nd <= 2) return null;
    const pick = el("select", { "aria-label": `Heat map axes of /${x.path}`, "data-testid": "axis-picker" });
    for (let r = 0; r < nd; r++) {
      for (let c = r + 1; c < nd; c++) {
        const o = el("option", null, `rows: dim ${r}, columns: dim ${c}`);
        o.value = `${r},${c}`;
        pick.append(o);
      }
    }
    pick.value = h.dims.join(",");
    pick.addEventListener("change", () => {
      dims[x.path] = pick.value.split(",").map(Number);
      details.delete(x.path);
      picked.delete(x.path);
      void load();
    });
    const own = fixed[x.path] ?? (fixed[x.path] = {});
    const sliders = h.reduced.map((d) => {
      const input = el("input", { type: "range", "aria-label": `Chunk index along dim ${d} for a clicked cell` });
      input.min = "0";
      input.max = String(h.grid[d] - 1);
      input.value = String(own[d] ?? 0);
      const label = el("span", { class: "aln-mono" }, `dim ${d} chunk ${input.value}`);
      input.addEventListener("input", () => {
        own[d] = Number(input.value);
        label.textContent = `dim ${d} chunk ${input.value}`;
      });
      input.addEventListener("change", () => {
        const sel = picked.get(x.path);
        if (sel) void loadDetail(x, sel[0], sel[1], false);
      });
      return el("label", null, label, input);
    });
    return el("div", { class: "aln-head" },
      el("label", null, "Heat map of ", pick),
      el("span", { class: "aln-muted" }, `cells count changes along dim ${h.reduced.join(", ")}; a click shows the chunk at`),
      ...sliders);
  }

  function sideRows(d: ChunkDetail): HTMLElement {
    const row = (label: string, f: (s: Side) => Child) => el("tr", null, el("th", null, label), el("td", { class: "aln-mono" }, f(d.a)), el("td", { class: "aln-mono" }, f(d.b)));
    return el("table", null,
      el("tr", null, el("th", null, ""), el("th", null, `old (${a})`), el("th", null, `new (${b ?? "session"})`)),
      row("stored", (s) => (!s.array_exists ? "no array" : s.exists ? `${(s.stored_bytes ?? 0).toLocaleString("en")} bytes` : "not stored (fill value)")),
      row("shape", (s) => dimsText(s.shape)),
      row("min", (s) => show(s.min)),
      row("max", (s) => show(s.max)),
      row("mean", (s) => show(s.mean)),
      row("NaNs", (s) => show(s.nan_count)));
  }

  function detailPane(x: ArrayChange): HTMLElement | null {
    const d = details.get(x.path);
    if (!d) return el("div", { class: "aln-muted" }, "Click a cell to see its chunk's old and new values.");
    if (d === "loading") return el("div", { class: "aln-busy" }, "Reading the chunk in both versions…");
    if ("message" in d) return errorBox(d);
    const h = x.heatmap;
    const sel = picked.get(x.path);
    const many = h.chunks_per_cell > 1 && sel
      ? el("div", null, `This cell holds ${plural(h.changed[sel[0]][sel[1]], "changed chunk")} of ${plural(h.chunks_per_cell, "chunk")}; shown: the one at [${d.coords.join(", ")}]${h.first?.some(([r, c, k]) => r === sel[0] && c === sel[1] && k.join() === d.coords.join()) ? ", its first changed chunk" : ""}.`)
      : null;
    return el("div", { class: "aln-detail", "data-testid": "chunk-detail" },
      el("div", null, "Chunk ", el("span", { class: "aln-path", "data-testid": "chunk-key" }, d.key), ` at grid [${d.coords.join(", ")}]`),
      many, sideRows(d));
  }

  function arrayBlock(x: ArrayChange, states: string[]): HTMLElement {
    const h = x.heatmap;
    const counts = [x.modified && `${x.modified} modified`, x.added && `${x.added} added`, x.deleted && `${x.deleted} deleted`].filter(Boolean).join(", ");
    const moved = x.old_path !== x.path ? ` (was /${x.old_path})` : "";
    const shape = x.old_shape && x.old_shape.join() !== x.shape.join() ? `${dimsText(x.old_shape)} → ${dimsText(x.shape)}` : dimsText(x.shape);
    const binned = h.binned ? `; each cell bins ${h.bin.join(" × ")} chunks` : "";
    return el("div", { class: "aln-array", "data-testid": "diff-array", "data-path": x.path },
      el("div", null, el("span", { class: "aln-path" }, `/${x.path}`), moved, " ", el("span", { class: "aln-muted" }, `${shape}, chunk grid ${dimsText(h.grid)}`)),
      el("div", null, `${plural(x.chunks_changed, "chunk")} changed: ${counts}${binned}`),
      axisControls(x), heatCanvas(x, states), legend(states), detailPane(x));
  }

  function body(): Child[] {
    if (summary === "loading") return [el("div", { class: "aln-busy" }, "Comparing…")];
    if ("message" in summary) return [errorBox(summary)];
    const s = summary;
    const out: Child[] = [el("div", { class: "aln-muted", "data-testid": "diff-labels" }, `${s.from_ref} → ${s.to_ref}`)];
    if (s.empty) out.push(el("div", { "data-testid": "diff-empty" }, "No changes."));
    const node = (n: { path: string; kind: string }) => [el("span", { class: "aln-path" }, `/${n.path}`), " ", el("span", { class: "aln-muted" }, n.kind)];
    out.push(
      nodeList("Added", s.added.map(node)),
      nodeList("Deleted", s.deleted.map(node)),
      nodeList("Moved", s.moved.map((m) => [el("span", { class: "aln-path" }, `/${m.old_path}`), " → ", el("span", { class: "aln-path" }, `/${m.new_path}`)])),
    );
    if (s.attributes.length) {
      out.push(el("div", { "data-testid": "diff-attributes" }, el("h4", null, `Attributes (${s.attributes.length})`),
        el("table", null, ...s.attributes.map((x) => el("tr", null,
          el("td", { class: "aln-mono" }, `/${x.path}`), el("td", { class: "aln-mono" }, x.key),
          el("td", { class: "aln-mono" }, x.old === null ? "–" : JSON.stringify(x.old)), el("td", null, "→"),
          el("td", { class: "aln-mono" }, x.new === null ? "–" : JSON.stringify(x.new)))))));
    }
    if (s.arrays.length) out.push(el("h4", null, `Chunks (${s.arrays.length} ${s.arrays.length === 1 ? "array" : "arrays"})`), ...s.arrays.map((x) => arrayBlock(x, s.states)));
    return out;
  }

  function draw() {
    replaceChildren(root, header(), ...body());
  }

  void load();
  return {
    dispose() {
      if (pending) source.cancel(pending);
      for (const id of Object.values(detailIds)) source.cancel(id);
      root.remove();
    },
    setRefs(na: string, nb: string | null) { changeRefs(na, nb); },
    setRefList(next: RefEntry[]) {
      refs = next;
      if (summary !== "loading") draw();
    },
  };
}
