// One array through its history (views.array_history): a slider over the commits that changed
// it; the preview, shape and attributes at the chosen commit follow the slider (the previous
// requests are cancelled, so a quick drag never queues work); "Check out this version" moves
// the kernel's repo to that commit (read-only there).
import { el, replaceChildren, type Child } from "../shared/dom";
import { localTime, relativeTime, shortId } from "../shared/format";
import { dimsText, indexSliders, previewCanvas, previewSummary, type PreviewHeader } from "../shared/plot";
import type { RemoteError, Reply, Source } from "../shared/source";
import { THEME_CSS, ensureStyle } from "../shared/theme";
import { errorBox, refPicker, withCommitIdEntry, type RefEntry } from "../shared/ui";

interface Version {
  commit_id: string;
  short_id: string;
  time: string | null;
  author_name: string | null;
  message: string;
  kind: string | null;
  created: boolean;
  deleted: boolean;
  metadata_changed: boolean;
  attributes_changed: boolean;
  chunks_changed: boolean;
  shape: number[] | null;
}

interface History { path: string; versions: Version[] }

interface NodeInfo {
  attributes: Record<string, unknown>;
  array: { shape: number[]; dtype: string; chunk_shape: number[] } | null;
}

/** Where the kernel's repo is checked out. */
export interface Where { branch: string | null; commit_id: string | null; writable: boolean }

export interface TimeTravelOptions {
  path: string;
  ref: string;
  refs?: RefEntry[];
  checkout?: Where;
  /** Called when the user picks another array or ref. */
  onChange?: (path: string, ref: string) => void;
}

export interface TimeTravelHandle {
  dispose(): void;
  setPath(path: string, ref: string): void;
  setCheckout(where: Where): void;
  setRefList(refs: RefEntry[]): void;
}

const CSS = `
.aln-tt .aln-head { display: flex; flex-wrap: wrap; gap: 4px 12px; align-items: center; margin-bottom: 6px; }
.aln-tt .aln-path { font-family: var(--aln-mono); }
.aln-tt .aln-slider { display: flex; gap: 8px; align-items: center; margin: 6px 0; }
.aln-tt .aln-slider input[type=range] { flex: 1 1 auto; accent-color: var(--aln-accent); }
.aln-tt .aln-version { margin: 4px 0; }
.aln-tt .aln-flags { display: inline-flex; gap: 4px; margin-left: 6px; }
.aln-tt .aln-flag { padding: 0 4px; border: 1px solid var(--aln-border); border-radius: 3px; font-size: 0.85em; }
.aln-tt .aln-body { display: flex; flex-wrap: wrap; gap: 10px; align-items: flex-start; }
.aln-tt .aln-preview { flex: 2 1 300px; min-width: 260px; }
.aln-tt .aln-preview canvas {
  display: block; max-width: 100%; border: 1px solid var(--aln-border); image-rendering: pixelated;
  color: var(--aln-accent); background: var(--aln-bg-raised);
}
.aln-tt .aln-side { flex: 1 1 200px; min-width: 180px; }
.aln-tt table { border-collapse: collapse; }
.aln-tt th { text-align: left; font-weight: 600; padding: 1px 10px 1px 0; vertical-align: top; }
.aln-tt td { font-family: var(--aln-mono); }
.aln-tt pre.aln-json {
  margin: 4px 0; padding: 4px 6px; max-height: 180px; overflow: auto; background: var(--aln-bg-raised);
  border: 1px solid var(--aln-border); border-radius: 3px; font-family: var(--aln-mono); font-size: 0.92em;
}
.aln-tt .aln-where { margin: 4px 0; }
.aln-tt .aln-actions { margin: 4px 0 8px; }
.aln-tt .aln-busy { color: var(--aln-fg-muted); font-style: italic; }
.aln-tt .aln-sliders label { display: flex; gap: 6px; align-items: center; }
`;

const failed = (r: Reply<unknown>): RemoteError => r.error ?? { type: "Error", message: "Failed." };

export function mountTimeTravel(host: HTMLElement, source: Source, options: TimeTravelOptions): TimeTravelHandle {
  ensureStyle("arraylake-nb-theme", THEME_CSS);
  ensureStyle("arraylake-nb-time-travel", CSS);
  // Lumino shortcuts (notebook command mode) must not swallow the slider's arrow keys.
  const root = el("div", { class: "aln-root aln-tt", "data-testid": "time-travel", "data-lm-suppress-shortcuts": "true" });
  host.appendChild(root);
  let path = options.path;
  let ref = options.ref;
  let refs = options.refs;
  let where = options.checkout ?? null;
  let arrays: string[] | RemoteError | "loading" = "loading";
  let history: History | RemoteError | "loading" | null = null;
  let position = 0; // slider position: 0 = oldest
  let info: NodeInfo | RemoteError | "loading" | null = null;
  let preview: { header: PreviewHeader; canvas: HTMLCanvasElement } | RemoteError | "loading" | null = null;
  let index: Record<string, number> = {};
  let outcome: { notices: string[]; error: RemoteError | null } | null = null;
  let checkingOut = false;
  const inflight = new Map<string, string>(); // request kind -> id, so a newer one cancels the older

  async function ask<T>(kind: string, type: string, payload: Record<string, unknown>): Promise<Reply<T> | null> {
    const old = inflight.get(kind);
    if (old) source.cancel(old);
    const { id, reply } = source.request<T>(type, payload);
    inflight.set(kind, id);
    const r = await reply;
    if (inflight.get(kind) !== id) return null; // superseded by a newer request
    inflight.delete(kind);
    return r.cancelled ? null : r;
  }

  const versions = (): Version[] => (history && history !== "loading" && !("message" in history) ? history.versions : []);
  // Versions come newest first; the slider runs oldest (left) to newest (right).
  const current = (): Version | null => {
    const v = versions();
    return v.length ? v[v.length - 1 - position] : null;
  };

  async function loadArrays() {
    arrays = "loading";
    draw();
    const r = await ask<{ arrays: string[] }>("arrays", "arrays", { ref });
    if (!r) return;
    arrays = r.ok && r.result ? r.result.arrays : failed(r);
    draw();
  }

  async function loadHistory() {
    history = path ? "loading" : null;
    info = preview = null;
    outcome = null;
    draw();
    if (!path) return;
    const r = await ask<History>("history", "array_history", { ref, path });
    if (!r) return;
    history = r.ok && r.result ? r.result : failed(r);
    position = Math.max(0, versions().length - 1);
    index = {};
    draw();
    void loadVersion();
  }

  async function loadVersion() {
    const v = current();
    if (!v) return;
    if (v.deleted || v.shape === null) {
      info = null;
      preview = { type: "Deleted", message: `/${path} was deleted in ${v.short_id}; move the slider left to see it before.` };
      draw();
      return;
    }
    info = "loading";
    preview = "loading";
    draw();
    const commit = v.commit_id;
    const gotInfo = ask<NodeInfo>("info", "node_info", { ref: commit, path }).then((r) => {
      if (!r) return;
      info = r.ok && r.result ? r.result : failed(r);
      draw();
    });
    const selection = Object.keys(index).length ? { index } : {};
    const r = await ask<PreviewHeader>("preview", "preview", { ref: commit, path, selection });
    if (r) {
      if (!r.ok || !r.result) preview = failed(r);
      else if (!r.buffers?.length) preview = { type: "Error", message: "The preview arrived without its values." };
      else {
        const colour = getComputedStyle(root).getPropertyValue("--aln-accent").trim();
        preview = { header: r.result, canvas: previewCanvas(r.result, r.buffers[0], colour) };
        preview.canvas.dataset.commit = commit;
      }
      draw();
    }
    await gotInfo;
  }

  async function checkout() {
    const v = current();
    if (!v || checkingOut) return;
    checkingOut = true;
    outcome = null;
    draw();
    const { reply } = source.request<{ commit_id: string; checkout: Where; notices: string[] }>("checkout", { commit_id: v.commit_id });
    const r = await reply;
    checkingOut = false;
    if (r.ok && r.result) {
      where = r.result.checkout;
      outcome = { notices: r.result.notices, error: null };
    } else {
      outcome = { notices: [], error: failed(r) };
    }
    draw();
  }

  function header(): HTMLElement {
    const head = el("div", { class: "aln-head" });
    const pick = el("select", { "aria-label": "Array", "data-testid": "array-picker" });
    const none = el("option", null, arrays === "loading" ? "Loading arrays…" : "Pick an array");
    none.value = "";
    pick.append(none);
    const list = Array.isArray(arrays) ? arrays : [];
    for (const p of new Set([...list, ...(path ? [path] : [])])) {
      const o = el("option", null, `/${p}`);
      o.value = p;
      pick.append(o);
    }
    pick.value = path;
    pick.addEventListener("change", () => {
      path = pick.value;
      options.onChange?.(path, ref);
      void loadHistory();
    });
    head.append(el("strong", null, "Time travel"), el("label", null, "array ", pick));
    if (refs) {
      const rp = refPicker(refs, ref, "History of", "tt-ref");
      head.append(el("label", null, "in the history of ", withCommitIdEntry(rp, (value) => {
        ref = value;
        options.onChange?.(path, ref);
        void loadArrays();
        void loadHistory();
      })));
    }
    return head;
  }

  function whereLine(): HTMLElement | null {
    if (!where) return null;
    const at = where.branch
      ? `on branch ${where.branch} at ${shortId(where.commit_id) || "(no commits)"}${where.writable ? "" : " (read-only)"}`
      : `read-only at ${shortId(where.commit_id)} (detached)`;
    return el("div", { class: "aln-where aln-muted", "data-testid": "where" }, `The kernel's repo is ${at}.`);
  }

  function versionLine(v: Version, n: number): HTMLElement {
    const flags = [v.created && "created", v.metadata_changed && !v.created && "metadata", v.attributes_changed && "attributes",
      v.chunks_changed && "chunks", v.deleted && "deleted"].filter((x): x is string => !!x);
    const time = el("span", { class: "aln-muted" }, relativeTime(v.time));
    if (v.time) time.title = localTime(v.time);
    return el("div", { class: "aln-version", "data-testid": "version" },
      el("span", { class: "aln-muted" }, `${position + 1} of ${n}: `),
      el("span", { class: "aln-path" }, v.short_id), " ", v.message || "(no message)", " · ", v.author_name ?? "", " · ", time,
      el("span", { class: "aln-flags" }, ...flags.map((f) => el("span", { class: "aln-flag" }, f))));
  }

  function slider(n: number): HTMLElement {
    const input = el("input", { type: "range", "aria-label": "Commit", "data-testid": "commit-slider" });
    input.min = "0";
    input.max = String(Math.max(0, n - 1));
    input.step = "1";
    input.value = String(position);
    input.disabled = n < 2;
    // Each step asks at once (the older requests are cancelled): the preview follows the drag.
    input.addEventListener("input", () => {
      position = Number(input.value);
      outcome = null;
      void loadVersion();
    });
    return el("div", { class: "aln-slider" }, el("span", { class: "aln-muted" }, "oldest"), input, el("span", { class: "aln-muted" }, "newest"));
  }

  function previewPane(): HTMLElement {
    const pane = el("div", { class: "aln-preview", "data-testid": "preview" });
    if (preview === null) return pane;
    if (preview === "loading") return (pane.append(el("div", { class: "aln-busy" }, "Computing the preview…")), pane);
    if ("message" in preview) return (pane.append(errorBox(preview)), pane);
    const { header, canvas } = preview;
    const sliders = indexSliders(header, (next) => {
      index = next;
      void loadVersion();
    });
    pane.append(el("div", { class: "aln-muted", "data-testid": "preview-summary" }, previewSummary(header)));
    if (sliders.length) pane.append(el("div", { class: "aln-sliders" }, ...sliders));
    pane.append(canvas);
    return pane;
  }

  function sidePane(): HTMLElement {
    const pane = el("div", { class: "aln-side", "data-testid": "version-details" });
    if (info === null) return pane;
    if (info === "loading") return (pane.append(el("div", { class: "aln-busy" }, "Loading…")), pane);
    if ("message" in info) return (pane.append(errorBox(info)), pane);
    const rows: [string, Child][] = info.array
      ? [["shape", dimsText(info.array.shape)], ["dtype", info.array.dtype], ["chunks", dimsText(info.array.chunk_shape)]]
      : [];
    pane.append(el("table", null, ...rows.map(([k, v]) => el("tr", null, el("th", null, k), el("td", null, v)))),
      el("div", null, `Attributes (${Object.keys(info.attributes).length})`),
      el("pre", { class: "aln-json", "data-testid": "attributes" }, JSON.stringify(info.attributes, null, 2)));
    return pane;
  }

  // The slider lives in its own container, rebuilt only with a new history: redrawing the rest
  // while the user drags must not replace (and so drop) the element under the pointer.
  const headBox = el("div");
  const sliderBox = el("div");
  const restBox = el("div");
  root.append(headBox, sliderBox, restBox);
  let sliderFor: History | null = null;

  function rest(): Child[] {
    if (Array.isArray(arrays) && !arrays.length && !path) return [el("div", { class: "aln-muted" }, "No arrays in this version yet.")];
    if (!Array.isArray(arrays) && arrays !== "loading") return [errorBox(arrays)];
    if (history === null) return [el("div", { class: "aln-muted" }, "Pick an array to step through the commits that changed it.")];
    if (history === "loading") return [el("div", { class: "aln-busy" }, "Reading the history…")];
    if ("message" in history) return [errorBox(history)];
    const n = history.versions.length;
    const v = current();
    const button = el("button", { class: "aln-primary", "data-testid": "checkout", disabled: checkingOut || !v },
      checkingOut ? "Checking out…" : "Check out this version");
    button.title = "The kernel's repo moves to this commit, read-only; repo.checkout('<branch>') writes again.";
    button.addEventListener("click", () => void checkout());
    const out: Child[] = [v ? versionLine(v, n) : null, el("div", { class: "aln-actions" }, button)];
    if (outcome?.error) out.push(errorBox(outcome.error));
    else if (outcome) {
      out.push(el("div", { class: "aln-notice", "data-testid": "checkout-done" },
        `Checked out ${shortId(where?.commit_id)}: the kernel's repo is read-only there. `,
        "Run repo.checkout(\"<branch>\") to write again."),
      ...outcome.notices.map((m) => el("div", { class: "aln-muted" }, m)));
    }
    out.push(el("div", { class: "aln-body" }, previewPane(), sidePane()));
    return out;
  }

  function draw() {
    replaceChildren(headBox, header(), whereLine());
    const h = history && history !== "loading" && !("message" in history) ? history : null;
    if (h !== sliderFor) {
      sliderFor = h;
      replaceChildren(sliderBox, ...(h ? [
        el("div", { class: "aln-muted" }, `${h.versions.length === 1 ? "1 commit" : `${h.versions.length} commits`} changed /${h.path}.`),
        slider(h.versions.length)] : []));
    }
    replaceChildren(restBox, ...rest());
  }

  void loadArrays();
  void loadHistory();
  return {
    dispose() {
      for (const id of inflight.values()) source.cancel(id);
      root.remove();
    },
    setPath(p: string, r: string) {
      const refChanged = r !== ref;
      if (p === path && !refChanged) return;
      path = p;
      ref = r;
      if (refChanged) void loadArrays();
      void loadHistory();
    },
    setCheckout(w: Where) {
      where = w;
      draw();
    },
    setRefList(next: RefEntry[]) {
      refs = next;
      draw();
    },
  };
}
