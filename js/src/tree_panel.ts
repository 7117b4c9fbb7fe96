// TreePanel: the hierarchy of a repository at any ref (Python: arraylake_nb.widgets.TreePanel).
// Synced traits: repo_name, refs ([{kind, name, commit_id}] for the picker), ref ("" = the
// checkout), problem. Data come from kernel requests (children, node_info, preview) through Rpc;
// a preview's values arrive as one binary buffer of little-endian float32. The UI is
// components/tree.ts (shared with the JupyterLab sidebar).
import type { AnyModel, RenderProps } from "@anywidget/types";
import { mountTree } from "./components/tree";
import { Rpc, type RemoteError } from "./shared/rpc";
import type { RefEntry } from "./shared/ui";

interface Model {
  repo_name: string;
  refs: RefEntry[];
  ref: string;
  problem: RemoteError | null;
}

function render({ model, el: host }: RenderProps<Model>) {
  const rpc = new Rpc(model as unknown as AnyModel);
  const view = mountTree(host, rpc, { repoName: model.get("repo_name"), ref: model.get("ref") || "", refs: model.get("refs") ?? [] });
  view.setProblem(model.get("problem"));
  const onRefs = () => view.setRefList(model.get("refs") ?? []);
  const onProblem = () => view.setProblem(model.get("problem"));
  const onRef = () => view.setRef(model.get("ref") || "");
  model.on("change:refs", onRefs);
  model.on("change:problem", onProblem);
  model.on("change:ref", onRef);
  return () => {
    model.off("change:refs", onRefs);
    model.off("change:problem", onProblem);
    model.off("change:ref", onRef);
    view.dispose();
    rpc.dispose();
  };
}

export default { render };
