"""HistoryPanel in JupyterLab: scroll, search, select, check out, go back, tag, compare, follow new commits."""

from __future__ import annotations

import re

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

    # Scroll like a person (mouse wheel) while the kernel is busy: the second page is asked for,
    # and cancelled when the user scrolls back up before it arrived.
    # What the page sends to the kernel, seen at the WebSocket (the comm's custom messages).
    page.evaluate("""() => { window.__sent = []; const send = WebSocket.prototype.send;
      WebSocket.prototype.send = function (data) {
        const text = typeof data === 'string' ? data : new TextDecoder().decode(data);
        if (text.includes('"custom"')) window.__sent.push(text);
        return send.call(this, data); }; }""")
    vlist = panel.locator(".aln-vlist")
    page.evaluate("""() => window.jupyterapp.shell.currentWidget.sessionContext.session.kernel
        .requestExecute({code: 'import time; time.sleep(4)', store_history: false})""")
    vlist.hover()
    for _ in range(8):
        page.mouse.wheel(0, 800)
    page.wait_for_function("() => !!document.querySelector('.aln-vlist-placeholder')")  # rows waiting for their page
    for _ in range(8):
        page.mouse.wheel(0, -800)
    top.wait_for(state="visible")
    lab.wait_kernel_idle()
    sent = "\n".join(page.evaluate("() => window.__sent"))
    asked = re.findall(r'"type":"page","id":"([^"]+)","offset":100,', sent)
    assert asked and any(f'"type":"cancel","id":"{rid}"' in sent for rid in asked), sent
    # Scrolled down again with the kernel free: the page comes, down to the oldest commit.
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

    # Tag here; a bad branch name is refused with what to do, nothing created.
    search.fill("")
    _row(panel, "main step 145").click()
    details.locator("[data-testid=full-id]").wait_for(state="visible")
    page.wait_for_function("() => document.querySelector('[data-testid=details]').textContent.includes('main step 145')")
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

    # A commit made in another cell shows at the top; the selection stays.
    panel = page.locator("[data-testid=history-panel]")
    cell = lab.run_new_cell("t[3] = 42\nrepo.commit('from another cell')")
    assert not cell.tracebacks, cell.text
    _row(panel, "from another cell").wait_for(state="visible")
    page.wait_for_function("() => document.querySelector('[data-testid=count]').textContent.includes('164 commits')")
    assert _row(panel, "main step 145").get_attribute("aria-selected") == "true"
    # That commit remembers the cell that made it.
    _row(panel, "from another cell").click()
    provenance = panel.locator("[data-testid=provenance]")
    provenance.wait_for(state="visible")
    assert "repo.commit('from another cell')" in provenance.inner_text()
    assert lab.page_errors == []
