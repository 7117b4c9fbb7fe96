// Small pieces of panel UI used by several components: error boxes and ref pickers.
import { el, type Child } from "./dom";
import { shortId } from "./format";
import type { RemoteError } from "./source";

/** A branch or tag as the panels' ``refs`` trait lists it. */
export interface RefEntry { kind: "branch" | "tag"; name: string; commit_id: string | null }

/**
 * An error from the kernel: its class in bold, the message (which says what to do), the paths it
 * names (a conflict's), and any extra controls (a retry button). Text nodes only.
 */
export function errorBox(error: RemoteError, ...extra: Child[]): HTMLElement {
  const paths = error.paths?.length
    ? el("ul", { class: "aln-error-paths" }, ...error.paths.map((p) => el("li", { class: "aln-mono" }, p)))
    : null;
  return el("div", { class: "aln-error", role: "alert" },
    el("span", { class: "aln-error-title" }, error.type), ": ", error.message, paths, ...extra);
}

export function isRemoteError(x: unknown): x is RemoteError {
  return !!x && typeof x === "object" && "type" in x && "message" in x && typeof (x as RemoteError).message === "string";
}

/**
 * A select of branches and tags. ``extra`` is a first option for a value that is not a ref
 * (e.g. "" for the checkout); a value that is neither (a commit id) gets an option of its own.
 */
export function refPicker(refs: RefEntry[], value: string, label: string, testid: string,
                          extra: { value: string; label: string } | null = null): HTMLSelectElement {
  const picker = el("select", { "aria-label": label, "data-testid": testid });
  const opt = (v: string, text: string) => {
    const o = el("option", null, text);
    o.value = v;
    return o;
  };
  if (extra) picker.append(opt(extra.value, extra.label));
  for (const kind of ["branch", "tag"] as const) {
    const mine = refs.filter((r) => r.kind === kind);
    if (!mine.length) continue;
    const g = el("optgroup");
    g.label = kind === "branch" ? "Branches" : "Tags";
    for (const r of mine) g.append(opt(r.name, `${r.name}${r.commit_id ? ` (${shortId(r.commit_id)})` : ""}`));
    picker.append(g);
  }
  if (value !== (extra?.value ?? null) && !refs.some((r) => r.name === value)) picker.append(opt(value, shortId(value, 12)));
  picker.value = value;
  return picker;
}

/** The picker value of the "commit id…" entry (never a valid ref name, so it cannot clash). */
const COMMIT_ID = "\u0000commit-id";

/** The "commit id…" field's state, kept by the caller across redraws. */
export interface CommitIdState { typing: boolean; value: string; focused: boolean }

/**
 * Add a "commit id…" entry to a ref picker: choosing it shows a text field beside the picker;
 * Enter calls ``onPick`` with the id typed (the kernel checks it), Escape goes back. Other choices
 * call ``onPick`` with the ref. Returns the picker and its field together. Pass the same
 * ``state`` object on every redraw: an open field, what is typed in it and its focus survive.
 */
export function withCommitIdEntry(picker: HTMLSelectElement, onPick: (value: string) => void,
                                  state: CommitIdState = { typing: false, value: "", focused: false }): HTMLElement {
  const previous = picker.value;
  const entry = el("option", null, "commit id…");
  entry.value = COMMIT_ID;
  picker.append(entry);
  const input = el("input", {
    type: "text", class: "aln-commit-id", placeholder: "commit id, then Enter",
    // Not "<picker label>: commit id": a label containing the picker's would make it ambiguous.
    "aria-label": "Commit id", title: `Commit id (${picker.getAttribute("aria-label") ?? "ref"})`,
    "data-testid": `${picker.dataset.testid ?? "ref"}-commit-id`,
  });
  input.size = 22;
  input.value = state.value;
  input.hidden = !state.typing;
  if (state.typing) {
    picker.value = COMMIT_ID;
    if (state.focused) queueMicrotask(() => input.focus());
  }
  const back = () => { state.typing = false; input.hidden = true; picker.value = previous; };
  picker.addEventListener("change", () => {
    if (picker.value !== COMMIT_ID) { state.typing = false; onPick(picker.value); return; }
    state.typing = true;
    input.hidden = false;
    input.focus();
  });
  input.addEventListener("input", () => { state.value = input.value; });
  input.addEventListener("focus", () => { state.focused = true; });
  input.addEventListener("blur", () => { state.focused = false; });
  input.addEventListener("keydown", (e) => {
    e.stopPropagation(); // typing must not trigger JupyterLab's command-mode shortcuts
    if (e.key === "Escape") back();
    if (e.key !== "Enter") return;
    const value = input.value.trim();
    if (!value) return;
    state.typing = false;
    state.value = "";
    onPick(value);
  });
  return el("span", { class: "aln-ref-choice" }, picker, input);
}
