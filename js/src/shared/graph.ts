// Drawing of the commit graph laid out by arraylake_nb.views.history_page: one small SVG per row,
// so a virtual list can render any row on its own. A row draws the lower halves of the edges
// coming from the row above (``above``: that row's edges, or the page's ``incoming``) and the
// upper halves of its own edges, each a cubic curve split at the row boundary, so lines join
// seamlessly across rows. Edges are general [from_lane, to_lane, colour] segments: pass-through
// lines, lines converging into a branch point and a merge commit's extra parents all draw alike.
// Only numbers reach the SVG (no user data).

export type Edge = [number, number, number];

export interface GraphRow {
  lane: number;
  colour: number;
  edges: Edge[];
  parents?: string[];
  head?: boolean;
}

/** Line colours, each at least 3:1 against white and against the dark themes' backgrounds. */
export const PALETTE = [
  "#2f7fd8", "#d9480f", "#2b9348", "#d6336c", "#845ef7", "#0b8a9a", "#b8860b", "#5c7cfa", "#cf3f8a", "#8d6e63",
];

export const LANE_WIDTH = 14;
const PAD = 8;
const SVG = "http://www.w3.org/2000/svg";

export function colourOf(index: number): string {
  return PALETTE[((index % PALETTE.length) + PALETTE.length) % PALETTE.length];
}

/** Pixel width of a graph of ``lanes`` lanes. */
export function graphWidth(lanes: number): number {
  return Math.max(1, lanes) * LANE_WIDTH + PAD;
}

const x = (lane: number) => PAD / 2 + lane * LANE_WIDTH + LANE_WIDTH / 2;

/** SVG path data of the part of edge ``a -> b`` (row centre to next row's centre) inside one row. */
export function halfEdge(a: number, b: number, height: number, part: "upper" | "lower"): string {
  const xa = x(a), xb = x(b), h = height;
  const mx = (xa + xb) / 2;
  if (part === "lower") {
    // Leaving this row's centre downwards: first half of the curve, ending at the row's bottom.
    if (a === b) return `M${xa} ${h / 2}V${h}`;
    return `M${xa} ${h / 2}C${xa} ${(3 * h) / 4} ${(3 * xa + xb) / 4} ${(7 * h) / 8} ${mx} ${h}`;
  }
  // Arriving from the row above: second half, from the row's top to its centre.
  if (a === b) return `M${xb} 0V${h / 2}`;
  return `M${mx} 0C${(xa + 3 * xb) / 4} ${h / 8} ${xb} ${h / 4} ${xb} ${h / 2}`;
}

function node(tag: string, attrs: Record<string, string | number>): SVGElement {
  const n = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, String(v));
  return n;
}

/**
 * The graph cell of one row: ``above`` are the edges of the row above (empty for the first row,
 * or in search results, where rows are not adjacent), ``lanes`` the width to draw.
 */
export function drawRow(row: GraphRow, above: Edge[], height: number, lanes: number): SVGSVGElement {
  const width = graphWidth(lanes);
  const svg = node("svg", {
    width, height, viewBox: `0 0 ${width} ${height}`, class: "aln-graph", "aria-hidden": "true",
  }) as SVGSVGElement;
  const lines = node("g", { fill: "none", "stroke-width": 2, "stroke-linecap": "round" });
  for (const [a, b, c] of above) lines.appendChild(node("path", { d: halfEdge(a, b, height, "upper"), stroke: colourOf(c) }));
  for (const [a, b, c] of row.edges) lines.appendChild(node("path", { d: halfEdge(a, b, height, "lower"), stroke: colourOf(c) }));
  svg.appendChild(lines);
  const cx = x(row.lane), cy = height / 2, colour = colourOf(row.colour);
  const merge = (row.parents?.length ?? 0) > 1;
  if (row.head) {
    // The checkout: a ring around the dot, in the text colour (readable on light and dark).
    svg.appendChild(node("circle", { cx, cy, r: 6.5, fill: "none", stroke: "currentColor", "stroke-width": 1.5, class: "aln-graph-head" }));
  }
  svg.appendChild(node("circle", {
    cx, cy, r: merge ? 4.5 : 4, fill: merge ? "var(--aln-bg, #fff)" : colour, stroke: colour, "stroke-width": merge ? 2 : 1,
    class: "aln-graph-dot",
  }));
  return svg;
}
