// TimeTravel (Python: arraylake_nb.widgets.TimeTravel): the time-travel component over comm messages.
// Synced traits: repo_name, path ("" = none picked), ref, refs (for the picker), checkout
// ({branch, commit_id, writable} of the kernel's repo), problem.
import type { AnyModel, RenderProps } from "@anywidget/types";
import { mountTimeTravel, type Where } from "./components/time_travel";
import { el } from "./shared/dom";
import { Rpc, type RemoteError } from "./shared/rpc";
import { errorBox, type RefEntry } from "./shared/ui";

interface Model {
  repo_name: string;
  path: string;
  ref: string;
  refs: RefEntry[];
  checkout: Where;
  problem: RemoteError | null;
}

function render({ model, el: host }: RenderProps<Model>) {
  const rpc = new Rpc(model as unknown as AnyModel);
  const wrap = el("div", { "data-testid": "time-travel-panel" });
  host.appendChild(wrap);
  const view = mountTimeTravel(wrap, rpc, {
    path: model.get("path"),
    ref: model.get("ref"),
    refs: model.get("refs") ?? [],
    checkout: model.get("checkout"),
    onChange(path, ref) {
      model.set("path", path);
      model.set("ref", ref);
      model.save_changes();
    },
  });
  const problem = el("div");
  wrap.append(problem);
  const showProblem = () => {
    const p = model.get("problem");
    problem.replaceChildren();
    problem.className = p ? "aln-root" : ""; // the error box's colours come from the theme root
    if (p) problem.append(errorBox(p));
  };
  showProblem();
  const onPath = () => view.setPath(model.get("path"), model.get("ref"));
  const onWhere = () => view.setCheckout(model.get("checkout"));
  const onList = () => view.setRefList(model.get("refs") ?? []);
  const events: [string, () => void][] = [
    ["change:path", onPath], ["change:ref", onPath], ["change:checkout", onWhere],
    ["change:refs", onList], ["change:problem", showProblem],
  ];
  for (const [e, f] of events) model.on(e, f);
  return () => {
    for (const [e, f] of events) model.off(e, f);
    view.dispose();
    rpc.dispose();
  };
}

export default { render };
