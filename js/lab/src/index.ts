// The arraylake_nb sidebar: a left-area panel listing the repositories under the server's root.
// Everything shown comes from the server extension (docs/rest.md) and is put in text nodes only
// (js/src/shared/dom.ts). The history, tree and branch panels mount into it later.
import type { JupyterFrontEnd, JupyterFrontEndPlugin } from "@jupyterlab/application";
import { LabIcon } from "@jupyterlab/ui-components";
import { Widget } from "@lumino/widgets";

import { el, replaceChildren } from "../../src/shared/dom";
import { ApiError, requestAPI, type ReposDoc, type VersionDoc, type WatchDoc } from "./api";
import { VERSION } from "./_version";

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
  private timer: number | undefined;
  private names = "";

  constructor() {
    super();
    this.id = "arraylake-nb-sidebar";
    this.addClass("anb-sidebar");
    this.title.caption = "Arraylake repositories";
    this.title.icon = new LabIcon({ name: "arraylake-nb:repos", svgstr: ICON_SVG });
    replaceChildren(this.node, el("h2", { class: "anb-sidebar-title" }, "Repositories"), this.rootLine, this.status, this.list);
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
    this.names = doc.repos.map((r) => r.name).join("\n");
    if (doc.repos.length === 0) {
      replaceChildren(this.list, el("li", { class: "anb-sidebar-empty" }, "No repositories under this root yet."));
      return;
    }
    replaceChildren(
      this.list,
      ...doc.repos.map((r) => el("li", { class: "anb-sidebar-repo", title: r.name, "data-repo": r.name }, r.name)),
    );
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
    super.dispose();
  }
}

const plugin: JupyterFrontEndPlugin<void> = {
  id: "arraylake-nb:sidebar",
  description: "The repositories under the arraylake_nb root, in the left sidebar.",
  autoStart: true,
  activate: (app: JupyterFrontEnd) => {
    const sidebar = new RepoSidebar();
    app.shell.add(sidebar, "left", { rank: 800 });
    void sidebar.start();
  },
};

export default plugin;
