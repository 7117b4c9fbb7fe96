// DiffPanel (Python: arraylake_nb.widgets.DiffPanel): the diff component over comm messages.
// Synced traits: repo_name, a, b ("" = the session), refs (for the pickers), problem.
import type { AnyModel, RenderProps } from "@anywidget/types";
import { mountDiff } from "./components/diff_view";
import { el } from "./shared/dom";
import { Rpc, type RemoteError } from "./shared/rpc";
import { errorBox, type RefEntry } from "./shared/ui";

interface Model {
  repo_name: string;
  a: string;
  b: string;
  refs: RefEntry[];
  problem: RemoteError | null;
}

function render({ model, el: host }: RenderProps<Model>) {
  const rpc = new Rpc(model as unknown as AnyModel);
  const wrap = el("div", { "data-testid": "diff-panel" });
  host.appendChild(wrap);
  const problem = el("div");
  const showProblem = () => {
    problem.replaceChildren();
    const p = model.get("problem");
    problem.className = p ? "aln-root" : ""; // the error box's colours come from the theme root
    if (p) problem.append(errorBox(p));
  };
  const view = mountDiff(wrap, rpc, {
    a: model.get("a"),
    b: model.get("b") || null,
    refs: model.get("refs") ?? [],
    onRefsChange(a, b) {
      model.set("a", a);
      model.set("b", b ?? "");
      model.save_changes();
    },
  });
  wrap.append(problem);
  showProblem();
  const onRefs = () => view.setRefs(model.get("a"), model.get("b") || null);
  const onList = () => view.setRefList(model.get("refs") ?? []);
  model.on("change:a", onRefs);
  model.on("change:b", onRefs);
  model.on("change:refs", onList);
  model.on("change:problem", showProblem);
  return () => {
    model.off("change:a", onRefs);
    model.off("change:b", onRefs);
    model.off("change:refs", onList);
    model.off("change:problem", showProblem);
    view.dispose();
    rpc.dispose();
  };
}

export default { render };
