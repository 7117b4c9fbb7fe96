// HistoryPanel widget (Python: arraylake_nb.widgets.HistoryPanel): the Rpc over the comm, the
// synced traits, and the history component. Synced traits: repo_name, checkout, refs, version,
// problem, embed_diff. "Compare with…" sends a compare request, which sets the compare trait in
// the kernel; with embed_diff (a HistoryPanel on its own) the diff also opens below the history.
// In a RepoBrowser (embed_diff false) the browser's diff tab shows it instead.
import type { AnyModel, RenderProps } from "@anywidget/types";
import { mountDiff, type DiffHandle } from "./components/diff_view";
import { mountHistory, type HistoryState } from "./components/history";
import { el } from "./shared/dom";
import { Rpc } from "./shared/rpc";

type Model = HistoryState & { embed_diff: boolean };

function render({ model, el: host }: RenderProps<Model>) {
  const rpc = new Rpc(model as unknown as AnyModel);
  const read = (): HistoryState => ({
    repo_name: model.get("repo_name"),
    checkout: model.get("checkout"),
    refs: model.get("refs") ?? [],
    version: model.get("version"),
    problem: model.get("problem"),
  });
  const historyHost = el("div");
  const diffHost = el("div", { class: "aln-root aln-embedded-diff", "data-testid": "history-diff" });
  diffHost.hidden = true;
  host.append(historyHost, diffHost);
  let diff: DiffHandle | null = null;
  const closeDiff = () => {
    diff?.dispose();
    diff = null;
    diffHost.replaceChildren();
    diffHost.hidden = true;
  };
  const openDiff = (a: string, b: string) => {
    if (diff) { diff.setRefs(a, b); return; }
    const close = el("button", { type: "button", "data-testid": "close-diff" }, "Close the comparison");
    close.addEventListener("click", closeDiff);
    diffHost.hidden = false;
    diffHost.append(el("div", { class: "aln-head" }, close));
    diff = mountDiff(diffHost, rpc, { a, b });
    diffHost.scrollIntoView({ block: "nearest" });
  };
  const view = mountHistory(historyHost, rpc, {
    onCompare: async (a, b) => {
      const r = await rpc.request<{ a: string; b: string }>("compare", { a, b }).reply;
      if (r.ok && r.result && model.get("embed_diff")) openDiff(r.result.a, r.result.b);
    },
  });
  view.update(read());
  const onChange = () => view.update(read());
  const traits = ["repo_name", "checkout", "refs", "version", "problem"] as const;
  for (const t of traits) model.on(`change:${t}`, onChange);
  return () => {
    for (const t of traits) model.off(`change:${t}`, onChange);
    closeDiff();
    view.dispose();
    rpc.dispose();
  };
}

export default { render };
