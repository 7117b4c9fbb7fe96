// Small pieces of panel UI used by several components: error boxes and ref pickers.
import { el } from "./dom";
import { shortId } from "./format";
import type { RemoteError } from "./rpc";

/** A branch or tag as the panels' ``refs`` trait lists it. */
export interface RefEntry { kind: "branch" | "tag"; name: string; commit_id: string | null }

/** An error from the kernel: its class in bold, then the message (which says what to do). */
export function errorBox(error: RemoteError): HTMLElement {
  const box = el("div", { class: "aln-error", role: "alert" }, el("span", { class: "aln-error-title" }, error.type), ": ", error.message);
  if (error.paths?.length) box.append(el("ul", null, ...error.paths.map((p) => el("li", { class: "aln-mono" }, p))));
  return box;
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
