"""HistoryPanel in JupyterLab: scroll, search, select, check out, go back, tag, compare, follow new commits."""

from __future__ import annotations

import json

from arraylake_nb.widgets._base import STATIC

from .lab import DARK, LIGHT
from .test_status_panel import _notebook, _set_theme

SETUP = """\
%load_ext arraylake_nb
from arraylake_nb import Client
from arraylake_nb.widgets import HistoryPanel
client = Client()
repo = client.get_or_create_repo("widgets/history")
t = repo.root_group.create(name="temperature", shape=10, chunks=5, dtype="f4")
for i in range(150):
    t[i % 10] = i
    repo.commit(f"main step {i}")
    if i == 140:
        repo.new_branch("dev")
repo.checkout("dev")
for i in range(12):
    t[i % 10] = -i
    repo.commit(f"dev <b>work</b> {i}")
hopper = Client(author="Grace Hopper <grace@example.org>").get_repo("widgets/history")
hopper.root_group.temperature[0] = 1
hopper.commit("calibration fix")
repo.checkout("main")
panel = HistoryPanel(repo)
panel"""

ROWS = ".aln-hrow"


def _row(panel, text: str):
    return panel.locator(ROWS, has_text=text)


def test_history_panel_scroll_search_select_checkout_tag(lab, screenshot_dir):
    _notebook(lab.server.root_dir / "history_panel.ipynb", SETUP)
    lab.open_notebook("history_panel.ipynb")
    (setup,) = lab.run_all()
    assert not setup.tracebacks, setup.text
    page = lab.page
    panel = page.locator("[data-testid=history-panel]")
    panel.wait_for(state="visible")
    page.wait_for_function("() => document.querySelector('[data-testid=count]').textContent.includes('163 commits')")
    assert "widgets/history" in panel.inner_text() and "on main" in panel.inner_text()
    top = _row(panel, "dev <b>work</b> 11")
    top.wait_for(state="visible")
    # Messages are text: the <b> shows as typed, never as markup.
    assert panel.locator(".aln-msg b").count() == 0
    # Both branches and the other author's commit are drawn with their labels.
    assert _row(panel, "calibration fix").locator(".aln-label[data-ref=main]").count() == 1
    assert top.locator(".aln-label[data-ref=dev]").count() == 1
    assert "Grace Hopper" in _row(panel, "calibration fix").inner_text()
    # Virtual: a screenful of rows in the DOM, not all 163.
    assert panel.locator(ROWS).count() < 40

    # Scroll like a person (mouse wheel) to the oldest commit: its page is fetched on the way.
    vlist = panel.locator(".aln-vlist")
    vlist.hover()
    for _ in range(8):
        page.mouse.wheel(0, 800)
    _row(panel, "main step 0").wait_for(state="visible")
    assert panel.locator(ROWS).count() < 40
    vlist.hover()
    for _ in range(8):
        page.mouse.wheel(0, -800)
    top.wait_for(state="visible")

    # Search by author, then by message (debounced; paged the same way).
    search = panel.get_by_role("searchbox", name="Search commits")
    search.click()
    search.press_sequentially("grace")
    page.wait_for_function("() => document.querySelector('[data-testid=count]').textContent.includes('1 commit match')")
    assert panel.locator(ROWS).count() == 1 and "calibration fix" in panel.locator(ROWS).inner_text()
    search.fill("")
    search.press_sequentially("work")
    page.wait_for_function("() => document.querySelector('[data-testid=count]').textContent.includes('12 commits match')")

    # Select a commit: its details, read in the panel, match the kernel.
    _row(panel, "dev <b>work</b> 5").click()
    details = panel.locator("[data-testid=details]")
    details.locator("[data-testid=full-id]").wait_for(state="visible")
    full_id = details.locator("[data-testid=full-id]").inner_text().strip()
    assert lab.kernel_execute(f"repo.get_commit({full_id!r}).message").result == "'dev <b>work</b> 5'"
    parent = lab.kernel_execute(f"repo.get_commit({full_id!r}).parent_commit[:8]").result.strip("'")
    # Copy puts the full id on the clipboard.
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=lab.server.url)
    details.get_by_role("button", name="Copy").click()
    details.get_by_role("button", name="Copied").wait_for(state="visible")
    assert page.evaluate("() => navigator.clipboard.readText()") == full_id
    text = details.inner_text()
    assert parent in text and "/temperature: 1 chunk changed" in text
    # The setup cell loaded the extension while running: its commits have no provenance.
    assert details.locator("[data-testid=provenance]").count() == 0

    # Check out: the kernel's repo is at that commit, read-only.
    details.get_by_role("button", name="Check out").click()
    panel.get_by_role("status").filter(has_text="read-only").wait_for(state="visible")
    where = lab.kernel_execute("repo.session.info.branch, repo.session.info.base_commit").raise_for_error().result
    assert where == f"(None, {full_id!r})"
    refused = lab.kernel_execute("t[0] = 5")
    assert refused.status == "error" and "read-only" in refused.error["evalue"]
    panel.locator("[data-testid=checkout]").filter(has_text="detached at").wait_for(state="visible")
    _row(panel, "dev <b>work</b> 5").locator(".aln-label[data-ref=HEAD]").wait_for(state="visible")
    assert _row(panel, "dev <b>work</b> 5").get_attribute("aria-selected") == "true"
    assert lab.low_contrast_text(selector=".aln-root") == []
    panel.screenshot(path=str(screenshot_dir / "history-panel-detached-light.png"))

    # Back to the branch.
    panel.get_by_role("button", name="Back to main").click()
    panel.locator("[data-testid=checkout]").filter(has_text="on main").wait_for(state="visible")
    assert lab.kernel_execute("repo.session.info.branch").result == "'main'"

    # With uncommitted changes, Check out is refused with what to do, and nothing changes;
    # "Check out anyway" leaves them in their session.
    cell = lab.run_new_cell("t[1] = 7")
    assert not cell.tracebacks, cell.text
    _row(panel, "dev <b>work</b> 3").click()
    page.wait_for_function("() => document.querySelector('[data-testid=details]')?.textContent.includes('work</b> 3')")
    details.get_by_role("button", name="Check out").click()
    refused = panel.get_by_role("alert").filter(has_text="UncommittedChangesError")
    refused.wait_for(state="visible")
    assert "Commit them" in refused.inner_text() and "repo.join_session(" in refused.inner_text()
    session = lab.kernel_execute("repo.session.info.id").result
    assert lab.kernel_execute("repo.session.info.branch, repo.status().total").result == "('main', 1)"
    refused.get_by_role("button", name="Check out anyway (keep the changes in their session)").click()
    panel.get_by_role("status").filter(has_text="stay in session").wait_for(state="visible")
    assert lab.kernel_execute("repo.session.info.branch is None").result == "True"
    panel.get_by_role("button", name="Back to main").click()
    panel.locator("[data-testid=checkout]").filter(has_text="on main").wait_for(state="visible")
    assert lab.kernel_execute("repo.session.info.id != " + session + ", repo.status().total").result == "(True, 0)"

    # Tag here; a bad branch name is refused with what to do, nothing created.
    search.fill("")
    _row(panel, "main step 145").click()
    details.locator("[data-testid=full-id]").wait_for(state="visible")
    page.wait_for_function("() => document.querySelector('[data-testid=details]')?.textContent.includes('main step 145')")
    tagged = details.locator("[data-testid=full-id]").inner_text().strip()
    details.get_by_role("button", name="Tag here…").click()
    details.get_by_role("textbox", name="New tag name").fill("v-panel")
    details.get_by_role("button", name="Create tag").click()
    panel.get_by_role("status").filter(has_text="Created tag v-panel").wait_for(state="visible")
    assert lab.kernel_execute("repo.get_commit('v-panel').id").result == repr(tagged)
    _row(panel, "main step 145").locator(".aln-label[data-ref=v-panel]").wait_for(state="visible")
    details.get_by_role("button", name="Branch here…").click()
    name = details.get_by_role("textbox", name="New branch name")
    name.fill("dev")
    assert "already exists" in details.locator("[data-testid=name-hint]").inner_text()
    assert details.get_by_role("button", name="Create branch").is_disabled()
    name.fill("bad name")
    details.get_by_role("button", name="Create branch").click()
    alert = panel.get_by_role("alert").filter(has_text="InvalidNameError")
    alert.wait_for(state="visible")
    assert "letters, digits" in alert.inner_text()
    assert lab.kernel_execute("sorted(repo.branches.names)").result == "['dev', 'main']"

    # Compare with…: the second click picks the other commit; the kernel records both.
    details.get_by_role("button", name="Compare with…").click()
    panel.locator("[data-testid=compare-banner]").wait_for(state="visible")
    vlist.hover()
    page.mouse.wheel(0, -2000)
    _row(panel, "calibration fix").click()
    panel.get_by_role("status").filter(has_text="Comparing").wait_for(state="visible")
    compared = lab.kernel_execute("panel.compare['a'], panel.compare['b'] == repo.get_commit('main').id").result
    assert compared == f"({tagged!r}, True)"

    for theme, shot in ((LIGHT, "history-panel-light.png"), (DARK, "history-panel-dark.png")):
        _set_theme(lab, theme)
        assert lab.low_contrast_text(selector=".aln-root") == [], theme
        lab.screenshot_notebook(screenshot_dir / shot)
        panel.screenshot(path=str(screenshot_dir / shot.replace(".png", "-panel.png")))
    _set_theme(lab, LIGHT)

    # A commit made in another cell arrives at the top, while the rows the user looks at stay
    # where they are, and so does the selection.
    panel = page.locator("[data-testid=history-panel]")
    vlist.hover()
    page.mouse.wheel(0, 300)
    page.wait_for_function("() => document.querySelector('.aln-vlist').scrollTop >= 300")
    selected = _row(panel, "main step 145")
    selected.wait_for(state="visible")

    def offset_in_list() -> float:
        return selected.bounding_box()["y"] - vlist.bounding_box()["y"]

    before = offset_in_list()
    cell = lab.run_new_cell("t[3] = 42\nrepo.commit('from another cell')")
    assert not cell.tracebacks, cell.text
    page.wait_for_function("() => document.querySelector('[data-testid=count]').textContent.includes('164 commits')")
    page.wait_for_function("() => !document.querySelector('.aln-vlist-placeholder')")
    lab.wait_painted()
    assert abs(offset_in_list() - before) < 1
    assert selected.get_attribute("aria-selected") == "true"
    vlist.hover()
    page.mouse.wheel(0, -2000)
    _row(panel, "from another cell").wait_for(state="visible")
    # That commit remembers the cell that made it.
    _row(panel, "from another cell").click()
    provenance = panel.locator("[data-testid=provenance]")
    provenance.wait_for(state="visible")
    assert "repo.commit('from another cell')" in provenance.inner_text()
    assert lab.page_errors == []


# The widget's real module on a blank page, with a model whose kernel answers only when the test
# says: which page requests go out, which are cancelled, what a late answer does.
FAKE_KERNEL = """async (code) => {
  const handlers = [];
  window.sent = [];
  const traits = {repo_name: 'fake/repo', checkout: null, refs: [], version: 1, problem: null};
  const model = { get: (k) => traits[k], on: (e, f) => { if (e === 'msg:custom') handlers.push(f); },
                  off: () => {}, send: (m) => window.sent.push(m) };
  window.reply = (id, result) => handlers.forEach((f) => f({type: 'reply', id, ok: true, result}, []));
  const url = URL.createObjectURL(new Blob([code], {type: 'text/javascript'}));
  const mod = await import(url);
  mod.default.render({model, el: document.getElementById('host')});
}"""


def _page_of(offset: int, total: int = 300, limit: int = 100) -> dict:
    rows = [{"id": f"c{i:04d}", "short_id": f"c{i:04d}", "parents": [f"c{i + 1:04d}"] if i + 1 < total else [],
             "lane": 0, "colour": 0, "edges": [[0, 0, 0]] if i + 1 < total else [], "width": 1, "refs": [],
             "head": False, "author_name": "A", "author_email": None, "time": "2026-01-01T00:00:00Z",
             "message": f"commit {i}"} for i in range(offset, min(offset + limit, total))]
    return {"type": "history_page", "total": total, "offset": offset, "limit": limit, "search": None, "head": None,
            "branch": None, "incoming": [[0, 0, 0]] if offset else [], "width": 1, "rows": rows}


def test_a_page_scrolled_past_is_cancelled_and_its_late_answer_ignored(browser):
    page = browser.new_page(viewport={"width": 1000, "height": 800})
    try:
        page.set_content("<div id='host'></div>")
        page.evaluate(FAKE_KERNEL, (STATIC / "history_panel.js").read_text())

        def requests(kind: str) -> list[dict]:
            return [m for m in page.evaluate("() => window.sent") if m["type"] == kind]

        page.wait_for_function("() => window.sent.some(m => m.type === 'page')")
        (first,) = requests("page")
        assert (first["offset"], first["limit"], first["search"]) == (0, 100, None)
        page.evaluate("([id, r]) => window.reply(id, r)", [first["id"], _page_of(0)])
        page.get_by_text("commit 0", exact=True).wait_for(state="visible")
        page.get_by_text("300 commits on every branch").wait_for(state="visible")
        # Jump to the end: the last page is asked for, its rows wait.
        vlist = page.locator(".aln-vlist")
        vlist.evaluate("(n) => { n.scrollTop = n.scrollHeight; }")
        page.wait_for_function("() => window.sent.some(m => m.type === 'page' && m.offset === 200)")
        page.locator(".aln-vlist-placeholder").first.wait_for(state="visible")
        (late,) = [m for m in requests("page") if m["offset"] == 200]
        # Back to the top before it arrived: cancelled.
        vlist.evaluate("(n) => { n.scrollTop = 0; }")
        page.wait_for_function(f"() => window.sent.some(m => m.type === 'cancel' && m.id === {json.dumps(late['id'])})")
        # Its answer comes anyway: ignored, and asking again gets a new request.
        page.evaluate("([id, r]) => window.reply(id, r)", [late["id"], _page_of(200)])
        vlist.evaluate("(n) => { n.scrollTop = n.scrollHeight; }")
        page.wait_for_function("() => window.sent.filter(m => m.type === 'page' && m.offset === 200).length === 2")
        assert page.get_by_text("commit 299", exact=True).count() == 0
        again = [m for m in requests("page") if m["offset"] == 200][-1]
        assert again["id"] != late["id"]
        page.evaluate("([id, r]) => window.reply(id, r)", [again["id"], _page_of(200)])
        page.get_by_text("commit 299", exact=True).wait_for(state="visible")
        # Only what is in view is in the DOM.
        assert 10 < page.locator(".aln-hrow").count() < 40
    finally:
        page.close()
