// Preview plotting shared by the panels: a float32 slice from views.preview (header + values)
// drawn as an image (viridis-like ramp, NaN transparent) or a line, on a canvas.
import { el } from "./dom";

/** The JSON header of a views.preview reply (the values travel as a binary buffer). */
export interface PreviewHeader {
  kind: "scalar" | "line" | "image";
  array_shape: number[];
  shape: number[];
  dims: number[];
  index: Record<string, number>;
  step: number[];
  method: string;
  min: number | null;
  max: number | null;
  nan_count: number;
}

// A viridis-like ramp: stops in [0, 1] interpolated linearly.
const RAMP: [number, number, number][] = [
  [68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37],
];

export function rampColour(t: number): [number, number, number] {
  const x = Math.min(1, Math.max(0, t)) * (RAMP.length - 1);
  const i = Math.min(RAMP.length - 2, Math.floor(x));
  const f = x - i;
  const a = RAMP[i], b = RAMP[i + 1];
  return [0, 1, 2].map((k) => Math.round(a[k] + (b[k] - a[k]) * f)) as [number, number, number];
}

/** Float32 little-endian values of a buffer, whatever its alignment. */
export function floats(buffer: DataView | ArrayBuffer): Float32Array {
  const view = buffer instanceof DataView ? buffer : new DataView(buffer);
  const out = new Float32Array(Math.floor(view.byteLength / 4));
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * 4, true);
  return out;
}

export function drawImage(header: PreviewHeader, values: Float32Array): HTMLCanvasElement {
  const [h, w] = header.shape;
  const canvas = el("canvas", { "data-testid": "preview-canvas", role: "img", "aria-label": `Preview image, ${h} × ${w}` });
  canvas.width = w;
  canvas.height = h;
  const scale = Math.max(1, Math.floor(360 / Math.max(w, h)));
  canvas.style.width = `${w * scale}px`;
  const ctx = canvas.getContext("2d");
  if (!ctx) return canvas;
  const img = ctx.createImageData(w, h);
  const lo = header.min ?? 0, hi = header.max ?? 1;
  const span = hi > lo ? hi - lo : 1;
  for (let i = 0; i < w * h; i++) {
    const v = values[i];
    if (Number.isNaN(v)) continue; // transparent
    const [r, g, b] = rampColour((v - lo) / span);
    img.data[i * 4] = r; img.data[i * 4 + 1] = g; img.data[i * 4 + 2] = b; img.data[i * 4 + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
  return canvas;
}

export function drawLine(header: PreviewHeader, values: Float32Array, colour: string): HTMLCanvasElement {
  const n = values.length;
  const canvas = el("canvas", { "data-testid": "preview-canvas", role: "img", "aria-label": `Preview line, ${n} points` });
  const W = 360, H = 140, pad = 4;
  canvas.width = W;
  canvas.height = H;
  const ctx = canvas.getContext("2d");
  if (!ctx) return canvas;
  const lo = header.min ?? 0, hi = header.max ?? 1;
  const span = hi > lo ? hi - lo : 1;
  ctx.strokeStyle = colour || "#0969da";
  ctx.lineWidth = 1.5;
  ctx.beginPath();
  let pen = false;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (Number.isNaN(v)) { pen = false; continue; }
    const x = pad + (n === 1 ? (W - 2 * pad) / 2 : (i / (n - 1)) * (W - 2 * pad));
    const y = H - pad - ((hi > lo ? v - lo : span / 2) / span) * (H - 2 * pad);
    if (pen) ctx.lineTo(x, y);
    else ctx.moveTo(x, y);
    pen = true;
  }
  ctx.stroke();
  return canvas;
}

/** The canvas for one preview reply: an image for 2-D slices, a line (in ``colour``) otherwise. */
export function previewCanvas(header: PreviewHeader, buffer: DataView | ArrayBuffer, colour: string): HTMLCanvasElement {
  const values = floats(buffer);
  return header.kind === "image" ? drawImage(header, values) : drawLine(header, values, colour);
}

/** One line describing a preview: its size, the dimensions shown, downsampling and value range. */
export function previewSummary(header: PreviewHeader): string {
  const range = header.min === null ? "all NaN" : `min ${header.min.toPrecision(4)}, max ${(header.max ?? 0).toPrecision(4)}`;
  const down = header.method === "none" ? "" : `, downsampled ×${header.step.join("×")} (${header.method})`;
  const nans = header.nan_count ? `; ${header.nan_count.toLocaleString("en")} NaN${header.nan_count === 1 ? "" : "s"} (transparent)` : "";
  return `Preview ${dimsText(header.shape)} of dims ${header.dims.join(", ")}${down}; ${range}${nans}`;
}

/** A shape as Python writes a tuple: (3, 4), (5,), or – when absent. */
export function dimsText(xs: number[] | null | undefined): string {
  return xs ? `(${xs.join(", ")}${xs.length === 1 ? "," : ""})` : "–";
}

/** A range slider per dimension held at one index; ``onChange`` gets the whole new index once released. */
export function indexSliders(header: PreviewHeader, onChange: (index: Record<string, number>) => void): HTMLElement[] {
  return Object.entries(header.index).map(([d, i]) => {
    const input = el("input", { type: "range", "aria-label": `Index of dimension ${d}` });
    input.min = "0";
    input.max = String(header.array_shape[Number(d)] - 1);
    input.value = String(i);
    const label = el("span", { class: "aln-mono" }, `dim ${d} = ${i}`);
    input.addEventListener("input", () => { label.textContent = `dim ${d} = ${input.value}`; });
    input.addEventListener("change", () => onChange({ ...header.index, [d]: Number(input.value) }));
    return el("label", null, label, input);
  });
}
