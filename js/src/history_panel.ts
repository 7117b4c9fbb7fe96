// HistoryPanel widget (Python: arraylake_nb.widgets.HistoryPanel): the Rpc over the comm, the
// synced traits, and the history component. Synced traits: repo_name, checkout, refs, version,
// problem; "Compare with…" sends a compare request, which sets the compare trait in the kernel.
import type { AnyModel, RenderProps } from "@anywidget/types";
import { mountHistory, type HistoryState } from "./components/history";
import { Rpc } from "./shared/rpc";

type Model = Omit<HistoryState, never>;

function render({ model, el: host }: RenderProps<Model>) {
  const rpc = new Rpc(model as unknown as AnyModel);
  const read = (): HistoryState => ({
    repo_name: model.get("repo_name"),
    checkout: model.get("checkout"),
    refs: model.get("refs") ?? [],
    version: model.get("version"),
    problem: model.get("problem"),
  });
  const view = mountHistory(host, rpc, {
    onCompare: (a, b) => { void rpc.request("compare", { a, b }).reply; },
  });
  view.update(read());
  const onChange = () => view.update(read());
  const traits = ["repo_name", "checkout", "refs", "version", "problem"] as const;
  for (const t of traits) model.on(`change:${t}`, onChange);
  return () => {
    for (const t of traits) model.off(`change:${t}`, onChange);
    view.dispose();
    rpc.dispose();
  };
}

export default { render };
