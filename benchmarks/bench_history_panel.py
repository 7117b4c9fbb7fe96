"""Time to first paint of the HistoryPanel over a 10,000-commit repository, in a real browser.

Run:  python benchmarks/bench_history_panel.py [--runs N] [--quick] [--rebuild]

The repository is bench_views.py's cached history (10,000 one-chunk commits, four branches
side by side, 31 branches and 19 tags; built once, ~70 s, under ``benchmarks/.cache/``).
JupyterLab and Debian's chromium are started through the browser tests' harness
(``tests/browser/lab.py``). Each run displays ``HistoryPanel(repo)`` in a new cell and reads
two figures from the page:

- *mount to first paint*: from the component's mount (``performance.mark``
  ``arraylake-history-mount``) to the frame after the first page's rows were rendered
  (``arraylake-history-first-paint``): the page request to the kernel, its reply, the rows;
- *run to first paint*: from the moment the cell is run (before the execute request is
  sent) to the same frame: also the kernel building the widget and the comm opening.

The first run is cold in the kernel (the lane layout cache is empty, DuckDB just opened);
later runs find the layout cached. Target (issue 12): first page < 200 ms to first paint.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from bench_views import history_repo

from tests.browser.lab import LabPage, LabServer, launch_chromium

SETUP = """\
import warnings
warnings.filterwarnings("ignore")
from arraylake_nb import Client
from arraylake_nb.widgets import HistoryPanel
repo = Client().get_repo("bench/history")
print(repo.session.info.branch)"""

RUN_AND_MEASURE = """
async (code) => {
  const app = window.jupyterapp;
  const panel = app.shell.currentWidget;
  const nb = panel.content;
  const before = performance.getEntriesByName('arraylake-history-first-paint').length;
  nb.activeCellIndex = nb.widgets.length - 1;
  await app.commands.execute('notebook:insert-cell-below');
  nb.activeCell.model.sharedModel.setSource(code);
  const t0 = performance.now();
  app.commands.execute('notebook:run-cell');
  const deadline = t0 + 120000;
  while (performance.getEntriesByName('arraylake-history-first-paint').length === before) {
    if (performance.now() > deadline) throw new Error('no first paint within 120 s');
    await new Promise(r => setTimeout(r, 5));
  }
  const paint = performance.getEntriesByName('arraylake-history-first-paint').at(-1).startTime;
  const mount = performance.getEntriesByName('arraylake-history-mount').at(-1).startTime;
  const rows = document.querySelectorAll('[data-testid=history-panel]');
  const last = rows[rows.length - 1];
  return {run_to_paint: paint - t0, mount_to_paint: paint - mount,
          rows_in_dom: last.querySelectorAll('.aln-hrow').length,
          count: last.querySelector('[data-testid=count]').textContent};
}
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=7, help="panels displayed (the first one is cold)")
    parser.add_argument("--quick", action="store_true", help="1,000 commits instead of 10,000")
    parser.add_argument("--rebuild", action="store_true", help="build the cached history again")
    args = parser.parse_args()
    n_commits = 1000 if args.quick else 10_000
    client, built = history_repo(n_commits, args.rebuild)
    if built is not None:
        print(f"(built the {n_commits:,}-commit history in {built:.1f} s)")
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="bench_history_panel_") as tmp:
        server = LabServer(base=Path(tmp), extra_env={"ARRAYLAKE_NB_ROOT": str(client.root)})
        server.start()
        try:
            (server.root_dir / "bench.ipynb").write_text(json.dumps({
                "cells": [{"cell_type": "code", "execution_count": None, "id": "setup", "metadata": {},
                           "outputs": [], "source": SETUP}],
                "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}},
                "nbformat": 4, "nbformat_minor": 5,
            }))
            with sync_playwright() as playwright:
                browser = launch_chromium(playwright)
                try:
                    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
                    lab = LabPage(page, server, timeout=180)
                    lab.open_notebook("bench.ipynb")
                    (setup,) = lab.run_all()
                    if setup.tracebacks:
                        raise SystemExit(setup.text)
                    results = []
                    for _ in range(args.runs):
                        results.append(page.evaluate(RUN_AND_MEASURE, "HistoryPanel(repo)"))
                        lab.wait_cells_finished()
                finally:
                    browser.close()
        finally:
            server.stop()

    first, rest = results[0], results[1:]
    print(f"\n## HistoryPanel, first paint of the first page, {n_commits:,} commits (milliseconds)\n")
    print(f"Panel shows: {first['count']!r}; rows in the DOM: {first['rows_in_dom']}.\n")
    print("| what | first (cold kernel cache) | median of the next " + f"{len(rest)} |" + "\n|---|---|---|")
    for key, label in (("mount_to_paint", "mount to first paint"), ("run_to_paint", "run the cell to first paint")):
        warm = f"{statistics.median(r[key] for r in rest):.1f}" if rest else "–"
        print(f"| {label} | {first[key]:.1f} | {warm} |")


if __name__ == "__main__":
    main()
