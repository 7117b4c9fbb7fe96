// The arraylake_nb sidebar: a left-area panel listing the repositories under the server's root.
// Everything shown comes from the server extension (docs/rest.md) and is put in text nodes only
// (js/src/shared/dom.ts). Selecting a repository opens its RepoView (history, branches and tags,
// sessions) below the list; the selection survives page reloads (localStorage).
import type { JupyterFrontEnd, JupyterFrontEndPlugin } from "@jupyterlab/application";
import { LabIcon } from "@jupyterlab/ui-components";
import { Widget } from "@lumino/widgets";

import { el, replaceChildren } from "../../src/shared/dom";
import { ApiError, requestAPI, type ReposDoc, type VersionDoc, type WatchDoc } from "./api";
import { VERSION } from "./_version";
import { RepoView } from "./repo_view";

const SELECTED_KEY = "arraylake-nb:sidebar-repo";

/** The notebook in the main area, as far as inserting a cell needs it (no @jupyterlab/notebook import). */
interface NotebookLike {
  content: {
    activeCellIndex: number;
    model: { sharedModel: { insertCell(index: number, cell: { cell_type: "code"; source: string }): unknown } } | null;
  };
  context?: { path?: string };
}

function pyString(s: string): string {
  // JSON string escapes are valid Python string escapes.
  return JSON.stringify(s);
}

/** The code that opens ``repo`` under ``root`` at ``ref`` in a kernel. */
export function snippet(root: string, repo: string, ref: string): string {
  return [
    "from arraylake_nb import Client",
    "",
    `repo = Client(root=${pyString(root)}).get_repo(${pyString(repo)}, checkout=False)`,
    `repo.checkout(${pyString(ref)})`,
    "repo",
  ].join("\n");
}

const ICON_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 16 16">' +
  '<g class="jp-icon3" fill="#616161"><rect x="2" y="2" width="5" height="5" rx="1"/>' +
  '<rect x="9" y="2" width="5" height="5" rx="1"/><rect x="2" y="9" width="5" height="5" rx="1"/>' +
  '<rect x="9" y="9" width="5" height="5" rx="1" opacity="0.5"/></g></svg>';

const POLL_MS = 3000;

export class RepoSidebar extends Widget {
  private readonly status = el("div", { class: "anb-sidebar-status", role: "status" });
  private readonly rootLine = el("div", { class: "anb-sidebar-root" });
  private readonly list = el("ul", { class: "anb-sidebar-repos", "aria-label": "Repositories" });
  private readonly detail = el("div", { class: "anb-sidebar-detail" });
  private timer: number | undefined;
  private names = "";
  private root = "";
  private view: RepoView | null = null;

  constructor(private readonly app: JupyterFrontEnd | null = null) {
    super();
    this.id = "arraylake-nb-sidebar";
    this.addClass("anb-sidebar");
    this.title.caption = "Arraylake repositories";
    this.title.icon = new LabIcon({ name: "arraylake-nb:repos", svgstr: ICON_SVG });
    replaceChildren(this.node, el("h2", { class: "anb-sidebar-title" }, "Repositories"), this.rootLine, this.status, this.list, this.detail);
  }

  /** Check the server's version, then list the repositories. */
  async start(): Promise<void> {
    try {
      const server = await requestAPI<VersionDoc>("version");
      if (server.version !== VERSION) {
        this.say(
          `The arraylake_nb server extension is version ${server.version} but this sidebar is ${VERSION}. ` +
            "Restart JupyterLab after installing or upgrading arraylake_nb.",
          "warning",
        );
      }
      await this.refresh();
    } catch (error) {
      this.fail(error);
    }
  }

  async refresh(): Promise<void> {
    const doc = await requestAPI<ReposDoc>("repos");
    replaceChildren(this.rootLine, "Root: ", el("code", null, doc.root));
    this.root = doc.root;
    this.names = doc.repos.map((r) => r.name).join("\n");
    if (doc.repos.length === 0) {
      replaceChildren(this.list, el("li", { class: "anb-sidebar-empty" }, "No repositories under this root yet."));
      return;
    }
    replaceChildren(
      this.list,
      ...doc.repos.map((r) => {
        const item = el("li", {
          class: "anb-sidebar-repo", title: r.name, "data-repo": r.name, role: "button",
          "aria-pressed": String(this.view?.name === r.name),
        }, r.name);
        item.tabIndex = 0;
        item.addEventListener("click", () => this.select(r.name));
        item.addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); this.select(r.name); } });
        return item;
      }),
    );
    const remembered = window.localStorage.getItem(SELECTED_KEY);
    if (!this.view && remembered && doc.repos.some((r) => r.name === remembered)) this.select(remembered);
  }

  /** Show one repository below the list. */
  select(name: string): void {
    if (this.view?.name === name) return;
    this.view?.dispose();
    window.localStorage.setItem(SELECTED_KEY, name);
    this.view = new RepoView(name, { useInNotebook: (repo, ref) => this.insert(repo, ref) });
    replaceChildren(this.detail, this.view.element);
    for (const item of this.list.querySelectorAll<HTMLElement>(".anb-sidebar-repo")) {
      item.setAttribute("aria-pressed", String(item.dataset.repo === name));
    }
  }

  /** Insert (never run) a cell opening the repository into the main area's notebook. */
  private insert(repo: string, ref: string): string {
    const widget = this.app?.shell.currentWidget as unknown as NotebookLike | null;
    const notebook = widget?.content;
    if (!notebook?.model?.sharedModel || typeof notebook.activeCellIndex !== "number") {
      return "Open a notebook first: the cell goes below its active cell.";
    }
    const at = notebook.activeCellIndex + 1;
    notebook.model.sharedModel.insertCell(at, { cell_type: "code", source: snippet(this.root, repo, ref) });
    notebook.activeCellIndex = at;
    return `Inserted a cell opening ${repo} at ${ref} into ${widget?.context?.path ?? "the notebook"} (not run).`;
  }

  private async poll(): Promise<void> {
    if (!this.isVisible) return;
    try {
      const doc = await requestAPI<WatchDoc>("watch");
      if (Object.keys(doc.repos).sort().join("\n") !== this.names) await this.refresh();
    } catch (error) {
      this.fail(error);
    }
  }

  private say(message: string, level: "warning" | "error"): void {
    replaceChildren(this.status, el("div", { class: `anb-sidebar-${level}` }, message));
  }

  private fail(error: unknown): void {
    this.say(error instanceof ApiError ? error.message : `The sidebar failed: ${String(error)}`, "error");
  }

  protected onAfterShow(): void {
    void this.poll();
    this.timer = window.setInterval(() => void this.poll(), POLL_MS);
  }

  protected onBeforeHide(): void {
    window.clearInterval(this.timer);
  }

  dispose(): void {
    window.clearInterval(this.timer);
    this.view?.dispose();
    super.dispose();
  }
}

const plugin: JupyterFrontEndPlugin<void> = {
  id: "arraylake-nb:sidebar",
  description: "The repositories under the arraylake_nb root, in the left sidebar.",
  autoStart: true,
  activate: (app: JupyterFrontEnd) => {
    const sidebar = new RepoSidebar(app);
    app.shell.add(sidebar, "left", { rank: 800 });
    void sidebar.start();
  },
};

export default plugin;
