// The error box every panel shows: the error's class, its message (which says what to do), the
// paths it names (a conflict's), and any extra controls (a retry button). Text nodes only.
import { el, type Child } from "./dom";
import type { RemoteError } from "./rpc";

export function errorBox(error: RemoteError, ...extra: Child[]): HTMLElement {
  const paths = error.paths && error.paths.length
    ? el("ul", { class: "aln-error-paths" }, ...error.paths.map((p) => el("li", null, p)))
    : null;
  return el("div", { class: "aln-error", role: "alert" },
    el("span", { class: "aln-error-title" }, error.type), ": ", error.message, paths, ...extra);
}
