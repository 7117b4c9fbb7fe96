"""First page of the JupyterLab sidebar's History for a 10,000-commit repository, in a real browser.

Run:  python benchmarks/bench_sidebar.py [--runs N] [--quick] [--rebuild]

The repository is bench_views.py's cached history (10,000 one-chunk commits, four branches side
by side, 31 branches and 19 tags; built once under ``benchmarks/.cache/``). JupyterLab with the
built labextension (``npm run build:prod`` in js/lab/) is started through the browser tests'
harness on that root. The first run clicks the repository in the sidebar (a fresh server
process: it loads the graph); each later run reloads the page, where the sidebar selects the
remembered repository again. Figures, from the page's performance marks:

- *mount to first paint*: the history component's mount to the frame after the first page's
  rows were rendered (the HTTP request for ``history?offset=0&limit=100``, its reply, the rows);
- the same figure of the HistoryPanel widget is in bench_history_panel.py (over the comm).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from bench_views import history_repo

from tests.browser.lab import LabPage, LabServer, launch_chromium
from tests.browser.test_sidebar import BUILT, install_sidebar

MEASURE = """
async () => {
  const deadline = performance.now() + 120000;
  while (!performance.getEntriesByName('arraylake-history-first-paint').length) {
    if (performance.now() > deadline) throw new Error('no first paint within 120 s');
    await new Promise(r => setTimeout(r, 5));
  }
  const paint = performance.getEntriesByName('arraylake-history-first-paint').at(-1).startTime;
  const mount = performance.getEntriesByName('arraylake-history-mount').at(-1).startTime;
  const panel = document.querySelector('#arraylake-nb-sidebar [data-testid=history-panel]');
  return {mount_to_paint: paint - mount, rows_in_dom: panel.querySelectorAll('.aln-hrow').length,
          count: panel.querySelector('[data-testid=count]').textContent};
}
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=7, help="times the history is shown (the first in a fresh server)")
    parser.add_argument("--quick", action="store_true", help="1,000 commits instead of 10,000")
    parser.add_argument("--rebuild", action="store_true", help="build the cached history again")
    args = parser.parse_args()
    if not (BUILT / "package.json").exists():
        raise SystemExit("Build the labextension first: `npm ci && npm run build:prod` in js/lab/.")
    n_commits = 1000 if args.quick else 10_000
    client, built = history_repo(n_commits, args.rebuild)
    if built is not None:
        print(f"(built the {n_commits:,}-commit history in {built:.1f} s)")
    from playwright.sync_api import sync_playwright

    results = []
    with tempfile.TemporaryDirectory(prefix="bench_sidebar_") as tmp:
        server = LabServer(base=Path(tmp), extra_env={"ARRAYLAKE_NB_ROOT": str(client.root)})
        install_sidebar(server)
        server.start()
        try:
            with sync_playwright() as playwright:
                browser = launch_chromium(playwright)
                try:
                    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
                    lab = LabPage(page, server, timeout=180)
                    page.goto(f"{server.url}/lab?reset&token={server.token}", wait_until="domcontentloaded")
                    for run in range(args.runs):
                        if run:
                            page.reload(wait_until="domcontentloaded")
                        lab.wait_app_ready()
                        lab.js("window.jupyterapp.shell.activateById('arraylake-nb-sidebar');")
                        if not run:
                            page.locator("#arraylake-nb-sidebar .anb-sidebar-repo[data-repo='bench/history']").click()
                        results.append(page.evaluate(MEASURE))
                finally:
                    browser.close()
        finally:
            server.stop()

    first, rest = results[0], results[1:]
    print(f"\n## Sidebar History, first paint of the first page, {n_commits:,} commits (milliseconds)\n")
    print(f"Sidebar shows: {first['count']!r}; rows in the DOM: {first['rows_in_dom']}.\n")
    warm = f"{statistics.median(r['mount_to_paint'] for r in rest):.1f}" if rest else "–"
    print(f"| what | first (fresh server) | median of the next {len(rest)} (page reloads) |\n|---|---|---|")
    print(f"| mount to first paint | {first['mount_to_paint']:.1f} | {warm} |")


if __name__ == "__main__":
    main()
