"""A real JupyterLab server driven by a real browser (Debian's chromium through Playwright).

Reusable pieces for browser tests (``conftest.py`` wires them into fixtures):

- :class:`LabServer` starts ``python -m jupyter lab`` on a free port with a random token, in
  isolated config/data/settings/runtime/workspace directories, and always stops it (and the
  kernels it started) again.
- :func:`launch_chromium` starts the system chromium with the flags that work on this kind of
  machine (no sandbox, no background networking, a new empty profile).
- :class:`LabPage` drives one JupyterLab tab: open a notebook, wait for the kernel's "Idle",
  run all cells, wait until every cell has finished, read what each output area shows,
  switch theme, take screenshots of the whole notebook, and run code in the notebook's kernel.

Every wait polls an observable condition (a DOM state, a kernel status, an HTTP answer); the
harness never sleeps for a fixed time to "let things settle".

The page talks to JupyterLab's own application object (``window.jupyterapp``, exposed by
``--LabApp.expose_app_in_browser=True``, as Galata does): commands are executed through
``app.commands`` rather than by clicking menus, which does not depend on menu layout, focus or
keyboard shortcuts. Tests that need to check a click path can still use ``page`` directly.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
MISSING_CHROMIUM = (
    "The browser tests need Debian's chromium at /usr/bin/chromium (and emoji fonts): "
    "run `apt-get install chromium fonts-noto-color-emoji` (.ci/run does this in CI). "
    "Never `playwright install`: a browser download cannot work here."
)

LIGHT = "JupyterLab Light"
DARK = "JupyterLab Dark"

# User settings written before the server starts (JUPYTERLAB_SETTINGS_DIR).
BASE_SETTINGS: dict[str, dict[str, Any]] = {
    # No "Would you like to receive official Jupyter news?" toast, no update check.
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
    # Every cell stays in the DOM, so the whole notebook can be read and photographed, and no
    # blank space past the last cell (it would keep the notebook scrolling however tall the window).
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {
        "windowingMode": "none",
        "scrollPastEnd": False,
    },
}


class LabError(AssertionError):
    """Something in the server or the page did not reach the expected state."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(condition: Callable[[], Any], timeout: float, what: str, interval: float = 0.1) -> Any:
    """Poll ``condition`` until it returns something truthy; raise naming ``what`` on timeout."""
    deadline = time.monotonic() + timeout
    last_error: BaseException | None = None
    while True:
        try:
            value = condition()
            if value:
                return value
        except Exception as error:  # noqa: BLE001 - reported if the wait times out
            last_error = error
        if time.monotonic() > deadline:
            detail = f" (last error: {last_error!r})" if last_error else ""
            raise LabError(f"timed out after {timeout:.0f} s waiting for {what}{detail}")
        time.sleep(interval)


# --------------------------------------------------------------------------- server


@dataclass
class LabServer:
    """``python -m jupyter lab`` in its own process group, isolated under ``base``."""

    base: Path
    theme: str = LIGHT
    extra_env: dict[str, str] = field(default_factory=dict)
    extra_args: list[str] = field(default_factory=list)
    startup_timeout: float = 90.0
    port: int = 0
    token: str = ""
    process: subprocess.Popen | None = None

    @property
    def root_dir(self) -> Path:
        return self.base / "root"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.base / "jupyter-lab.log"

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        dirs = {
            "JUPYTER_CONFIG_DIR": "config",
            "JUPYTER_DATA_DIR": "data",
            "JUPYTERLAB_SETTINGS_DIR": "settings",
            "JUPYTERLAB_WORKSPACES_DIR": "workspaces",
            "JUPYTER_RUNTIME_DIR": "runtime",
            "ARRAYLAKE_NB_ROOT": "arraylake-root",
            "IPYTHONDIR": "ipython",
            "MPLCONFIGDIR": "matplotlib",
        }
        for name, sub in dirs.items():
            path = self.base / sub
            path.mkdir(parents=True, exist_ok=True)
            env[name] = str(path)
        # Kernels inherit the server's environment: make them import this checkout's package.
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO_ROOT), env.get("PYTHONPATH", "")) if p)
        env["JUPYTER_PLATFORM_DIRS"] = "1"
        env.pop("JUPYTER_PATH", None)
        env.pop("JUPYTER_CONFIG_PATH", None)
        env.update(self.extra_env)
        return env

    def write_settings(self, settings_dir: Path) -> None:
        settings = dict(BASE_SETTINGS)
        settings["@jupyterlab/apputils-extension/themes.jupyterlab-settings"] = {"theme": self.theme}
        for rel, value in settings.items():
            path = settings_dir / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(value, indent=2))

    def start(self) -> LabServer:
        self.root_dir.mkdir(parents=True, exist_ok=True)
        env = self.env()
        self.write_settings(Path(env["JUPYTERLAB_SETTINGS_DIR"]))
        self.port = self.port or free_port()
        self.token = self.token or secrets.token_hex(24)
        cmd = [
            sys.executable,
            "-m",
            "jupyter",
            "lab",
            "--no-browser",
            "--allow-root",
            "--ip=127.0.0.1",
            f"--port={self.port}",
            "--port-retries=0",
            f"--ServerApp.token={self.token}",
            f"--ServerApp.root_dir={self.root_dir}",
            # window.jupyterapp, through which the page runs JupyterLab commands (as Galata does).
            "--LabApp.expose_app_in_browser=True",
            *self.extra_args,
        ]
        log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        self._log = log
        self.process = subprocess.Popen(
            cmd, cwd=self.root_dir, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            wait_for(self._ready, self.startup_timeout, f"JupyterLab to answer /api/status on {self.url}")
        except LabError as error:
            log = self.log_tail()
            self.stop()
            raise LabError(f"JupyterLab did not start: {error}\nits log:\n{log}") from None
        except BaseException:
            self.stop()
            raise
        return self

    def _ready(self) -> bool:
        if self.process is not None and self.process.poll() is not None:
            raise LabError(f"JupyterLab exited with {self.process.returncode}; its log:\n{self.log_tail()}")
        return self.api("GET", "/api/status") is not None

    def api(self, method: str, path: str, body: Any = None, timeout: float = 10.0) -> Any:
        """Call the server's REST API with the token; return the decoded JSON (or ``{}``)."""
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(
            self.url + path,
            data=data,
            method=method,
            headers={"Authorization": f"token {self.token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            raw = resp.read()
        return json.loads(raw) if raw else {}

    def kernels(self) -> list[dict]:
        return self.api("GET", "/api/kernels")

    def shutdown_kernels(self) -> None:
        for kernel in self.kernels():
            self.api("DELETE", f"/api/kernels/{kernel['id']}", timeout=30)

    def log_tail(self, lines: int = 60) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self, timeout: float = 30.0) -> None:
        """Shut the server down politely (it stops its kernels), then make sure of it."""
        proc = self.process
        if proc is None:
            return
        if proc.poll() is None:
            try:
                self.api("POST", "/api/shutdown", timeout=5)
            except (OSError, urllib.error.URLError):
                pass
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                pass
        # The server and its kernels share the process group we created: end what is left of it.
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(proc.pid, sig)
            except ProcessLookupError:
                break
            try:
                wait_for(lambda: not _group_alive(proc.pid), 10, "the JupyterLab process group to exit")
                break
            except LabError:
                continue
        if proc.poll() is None:
            proc.wait(timeout=5)
        self._log.close()
        self.process = None


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    # Zombies of our own group count as gone once reaped; reap what we can.
    try:
        while os.waitpid(-pgid, os.WNOHANG)[0]:
            pass
    except ChildProcessError:
        pass
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


# --------------------------------------------------------------------------- browser


EMOJI_FONT = "/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf"


def _has_emoji_font() -> bool:
    if os.path.exists(EMOJI_FONT):
        return True
    if shutil.which("fc-list"):
        found = subprocess.run(
            ["fc-list", ":family=Noto Color Emoji", "family"], check=False, capture_output=True, text=True
        )
        return bool(found.stdout.strip())
    return False


def check_chromium() -> str:
    """The system chromium and a colour emoji font (else emoji are tofu in the screenshots)."""
    if not (os.path.exists(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        raise LabError(MISSING_CHROMIUM)
    if not _has_emoji_font():
        raise LabError("No colour emoji font: " + MISSING_CHROMIUM)
    return CHROMIUM


def launch_chromium(playwright):
    """Debian's chromium with the recipe's flags.

    Playwright's ``launch`` gives every launch a new empty profile of its own (a fresh
    ``--user-data-dir`` in a temporary folder, removed on close); passing ``--user-data-dir``
    ourselves is refused by Playwright, so the recipe's "new empty profile" is taken care of.
    """
    check_chromium()
    return playwright.chromium.launch(
        executable_path=CHROMIUM,
        headless=True,
        args=CHROMIUM_ARGS,
        env={**os.environ, "PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD": "1"},
    )


# --------------------------------------------------------------------------- page

# JavaScript run in the page. ``app`` is JupyterLab's application object.
_JS_CURRENT_NOTEBOOK = """
const app = window.jupyterapp;
const panel = app.shell.currentWidget;
if (!panel || !panel.content || !panel.sessionContext) throw new Error('no notebook is the current widget');
// The element that scrolls the notebook (a windowed list in JupyterLab 4).
const scroller = panel.content.outerNode || panel.content.node.querySelector('.jp-WindowedPanel-outer') || panel.content.node;
"""

_JS_CELLS = (
    _JS_CURRENT_NOTEBOOK
    + """
return panel.content.widgets.map((cell, index) => {
  const model = cell.model;
  const info = {
    index,
    type: model.type,
    source: model.sharedModel.getSource(),
    tags: model.getMetadata('tags') || [],
    prompt: null,
    execution_count: null,
    outputs: [],
  };
  if (model.type !== 'code') return info;
  const prompt = cell.node.querySelector('.jp-InputArea-prompt');
  info.prompt = prompt ? prompt.textContent.trim() : null;
  info.execution_count = model.executionCount;
  const types = model.outputs.toJSON().map(o => o.output_type + (o.name ? ':' + o.name : ''));
  const areas = cell.outputArea.node.querySelectorAll(':scope > .jp-OutputArea-child');
  areas.forEach((child, i) => {
    const out = child.querySelector('.jp-OutputArea-output');
    const rendered = child.querySelectorAll('[data-mime-type]');
    info.outputs.push({
      output_type: types[i] || null,
      mime_types: Array.from(rendered).map(n => n.getAttribute('data-mime-type')),
      stderr: !!child.querySelector('.jp-RenderedText[data-mime-type="application/vnd.jupyter.stderr"]'),
      text: (out || child).innerText,  // what is shown: no <style> text, no folded <details> body
      height: child.getBoundingClientRect().height,
    });
  });
  return info;
});
"""
)


def _js_fn(body: str) -> str:
    return "async (arg) => {" + _JS_WITHIN + body + "}"


# ``within(promise, ms, what)``: a promise awaited in the page that fails after ``ms`` instead of
# hanging ``page.evaluate`` forever (it has no timeout of its own).
_JS_WITHIN = """
const within = (promise, ms, what) => Promise.race([promise, new Promise((_, reject) =>
  setTimeout(() => reject(new Error('timed out after ' + ms / 1000 + ' s waiting for ' + what)), ms))]);
"""


_JS_CONTRAST = """
const parse = (c) => { const m = c.match(/rgba?\\(([^)]+)\\)/); if (!m) return null;
  const p = m[1].split(/[ ,\\/]+/).filter(Boolean).map(Number); return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1]; };
const blend = (top, bottom) => [0, 1, 2].map(i => top[i] * top[3] + bottom[i] * (1 - top[3])).concat([1]);
const background = (el) => {
  const layers = [];
  for (let n = el; n && n.nodeType === 1; n = n.parentElement) {
    const c = parse(getComputedStyle(n).backgroundColor);
    if (c && c[3] > 0) { layers.push(c); if (c[3] >= 1) break; }
  }
  let bg = [255, 255, 255, 1];
  for (const layer of layers.reverse()) bg = blend(layer, bg);
  return bg;
};
const lum = (c) => { const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
  return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]); };
// The element's own text, if visible and below ``min`` contrast with what is behind it, else null.
const lowContrast = (el, min) => {
  const own = Array.from(el.childNodes).filter(n => n.nodeType === 3).map(n => n.textContent).join('').trim();
  if (!own) return null;
  const style = getComputedStyle(el);
  if (el.checkVisibility ? !el.checkVisibility({contentVisibilityAuto: true, visibilityProperty: true, opacityProperty: true})
      : (style.visibility === 'hidden' || el.getClientRects().length === 0)) return null;
  const bg = background(el);
  const fg = blend(parse(style.color) || [0, 0, 0, 1], bg);
  const [a, b] = [lum(fg), lum(bg)].sort((x, y) => y - x);
  const ratio = (a + 0.05) / (b + 0.05);
  return ratio < min ? {text: own.slice(0, 60), color: style.color,
    background: 'rgb(' + bg.slice(0, 3).map(Math.round).join(', ') + ')', ratio: Math.round(ratio * 100) / 100} : null;
};
"""


def low_contrast_in_page(page, selector: str, min_ratio: float = 4.5) -> list[dict]:
    """Text under ``selector`` anywhere in ``page`` below ``min_ratio`` WCAG contrast (any Jupyter front end)."""
    return page.evaluate(
        _js_fn(_JS_CONTRAST + """
const out = [];
for (const el of document.querySelectorAll(arg.selector + ' *')) { const f = lowContrast(el, arg.min); if (f) out.push(f); }
return out;
"""),
        {"min": min_ratio, "selector": selector},
    )


@dataclass
class Output:
    output_type: str | None  # "stream:stderr", "execute_result", "error", ...
    mime_types: list[str]
    stderr: bool  # rendered as application/vnd.jupyter.stderr: stderr streams and error outputs alike
    text: str  # the rendered text (innerText), as a reader sees it
    height: float

    @property
    def shows_traceback(self) -> bool:
        return self.output_type == "error" or "Traceback" in self.text


@dataclass
class Cell:
    index: int
    type: str
    source: str
    tags: list[str]
    prompt: str | None
    execution_count: int | None
    outputs: list[Output]

    @property
    def expected_to_raise(self) -> bool:
        """nbval's two ways of saying so: the ``raises-exception`` tag or the comment marker."""
        return "raises-exception" in self.tags or "NBVAL_RAISES_EXCEPTION" in self.source

    @property
    def tracebacks(self) -> list[Output]:
        return [o for o in self.outputs if o.shows_traceback]

    @property
    def text(self) -> str:
        return "".join(o.text for o in self.outputs)


@dataclass
class KernelResult:
    status: str  # "ok" or "error"
    stdout: str
    stderr: str
    result: str | None  # text/plain of the execute_result
    data: dict[str, Any]
    error: dict[str, Any] | None

    def raise_for_error(self) -> KernelResult:
        if self.status != "ok":
            tb = "\n".join((self.error or {}).get("traceback", []))
            raise LabError(f"kernel raised {self.error and self.error.get('ename')}: {tb}")
        return self


class LabPage:
    """One browser tab on a :class:`LabServer`."""

    def __init__(self, page, server: LabServer, timeout: float = 60.0):
        self.page = page
        self.server = server
        self.timeout = timeout
        page.set_default_timeout(timeout * 1000)

    # ----- JupyterLab

    def js(self, body: str, arg: Any = None) -> Any:
        return self.page.evaluate(_js_fn(body), arg)

    def command(self, command_id: str, args: dict | None = None) -> Any:
        """Execute a JupyterLab command (what a menu item or a shortcut would run); awaits it."""
        return self.js(
            "const r = await window.jupyterapp.commands.execute(arg.id, arg.args);"
            "return (r === undefined || r === null || typeof r !== 'object') ? (r ?? null) : true;",
            {"id": command_id, "args": args or {}},
        )

    def wait_app_ready(self) -> None:
        self.page.wait_for_function("() => window.jupyterapp && window.jupyterapp.started", timeout=self.timeout * 1000)
        self.page.evaluate("async () => { await window.jupyterapp.started; await window.jupyterapp.restored; }")

    def open_notebook(self, name: str) -> None:
        """Open ``name`` (relative to the server's root) in a reset workspace; wait for kernel Idle."""
        url = f"{self.server.url}/lab/tree/{name}?reset&token={self.server.token}"
        self.page.goto(url, wait_until="domcontentloaded")
        self.wait_app_ready()
        self.page.wait_for_function(
            """(name) => { const w = window.jupyterapp.shell.currentWidget;
                 return w && w.context && w.context.path === name && w.content && w.sessionContext; }""",
            arg=name,
            timeout=self.timeout * 1000,
        )
        self.js(_JS_CURRENT_NOTEBOOK + "await panel.context.ready; await panel.sessionContext.ready;")
        # A clean view for screenshots: no file browser on the left.
        self.js("window.jupyterapp.shell.collapseLeft(); window.jupyterapp.shell.collapseRight();")
        self.wait_kernel_idle()

    def kernel_status(self) -> str | None:
        return self.js(
            _JS_CURRENT_NOTEBOOK + "const k = panel.sessionContext.session?.kernel; return k ? k.status : null;"
        )

    def wait_kernel_idle(self, timeout: float | None = None) -> None:
        """Wait until the kernel says idle *and* the status bar shows "Idle" to the user."""
        timeout = timeout or self.timeout
        self.page.wait_for_function(
            """() => { const w = window.jupyterapp.shell.currentWidget;
                 const k = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;
                 if (!k || k.status !== 'idle' || k.connectionStatus !== 'connected') return false;
                 // The status bar's kernel item reads "Python 3 (ipykernel) | Idle".
                 const items = document.querySelectorAll('#jp-main-statusbar .jp-StatusBar-TextItem');
                 return Array.from(items).some(n => /\\|\\s*Idle$/.test(n.textContent.trim())); }""",
            timeout=timeout * 1000,
        )

    def cells(self) -> list[Cell]:
        raw = self.js(_JS_CELLS)
        return [Cell(**{**c, "outputs": [Output(**o) for o in c["outputs"]]}) for c in raw]

    def run_all(self, timeout: float | None = None) -> list[Cell]:
        """Run every cell (command ``notebook:run-all-cells``) and wait until all have finished."""
        timeout = timeout or self.timeout
        # The command's promise settles once every cell has run. Awaiting it matters: cells opened
        # from disk already show their stored execution counts, so the DOM alone cannot tell
        # "finished" from "not started yet".
        self.js(
            "await within(window.jupyterapp.commands.execute('notebook:run-all-cells'), arg, 'Run All Cells');",
            timeout * 1000,
        )
        return self.wait_cells_finished(timeout)

    def wait_cells_finished(self, timeout: float | None = None) -> list[Cell]:
        """No cell shows ``[*]``, every non-empty code cell shows an execution count, kernel Idle."""
        timeout = timeout or self.timeout
        self.page.wait_for_function(
            """() => { const w = window.jupyterapp.shell.currentWidget;
                 for (const cell of w.content.widgets) {
                   if (cell.model.type !== 'code') continue;
                   const p = cell.node.querySelector('.jp-InputArea-prompt');
                   const text = p ? p.textContent : '';
                   if (text.includes('*')) return false;
                   if (cell.model.sharedModel.getSource().trim() && !/\\[\\d+\\]/.test(text)) return false;
                 }
                 return true; }""",
            timeout=timeout * 1000,
        )
        self.wait_kernel_idle(timeout)
        return self.cells()

    def save(self) -> None:
        self.command("docmanager:save")

    # ----- kernel

    def kernel_execute(self, code: str, timeout: float | None = None) -> KernelResult:
        """Run ``code`` in the notebook's kernel (not as a cell) and return what it produced.

        For asserting effects in the kernel after clicking something:
        ``lab.kernel_execute("repo.status()").result``.
        """
        timeout = timeout or self.timeout
        raw = self.page.evaluate(
            _js_fn(
                _JS_CURRENT_NOTEBOOK
                + """
const kernel = panel.sessionContext.session.kernel;
const out = {status: 'ok', stdout: '', stderr: '', result: null, data: {}, error: null};
const future = kernel.requestExecute({code: arg.code, store_history: false, stop_on_error: true});
future.onIOPub = (msg) => {
  const t = msg.header.msg_type, c = msg.content;
  if (t === 'stream') out[c.name] += c.text;
  else if (t === 'execute_result' || t === 'display_data') {
    out.data = c.data; if (t === 'execute_result') out.result = c.data['text/plain'] ?? null;
  } else if (t === 'error') { out.status = 'error'; out.error = {ename: c.ename, evalue: c.evalue, traceback: c.traceback}; }
};
const reply = await within(future.done, arg.ms, 'the kernel to run ' + JSON.stringify(arg.code.slice(0, 80)));
if (reply.content.status !== 'ok') out.status = reply.content.status;
return out;
"""
            ),
            {"code": code, "ms": timeout * 1000},
        )
        return KernelResult(**raw)

    def run_new_cell(self, code: str, timeout: float | None = None) -> Cell:
        """Append a code cell with ``code`` at the end of the notebook, run it as a user would, return it."""
        timeout = timeout or self.timeout
        index = self.js(
            _JS_CURRENT_NOTEBOOK
            + """
const nb = panel.content;
nb.activeCellIndex = nb.widgets.length - 1;
await app.commands.execute('notebook:insert-cell-below');
await app.commands.execute('notebook:change-cell-to-code');
nb.activeCell.model.sharedModel.setSource(arg.code);
await within(app.commands.execute('notebook:run-cell'), arg.ms, 'the new cell to run');
return nb.widgets.length - 1;
""",
            {"code": code, "ms": timeout * 1000},
        )
        cells = self.wait_cells_finished(timeout)
        return next(c for c in cells if c.index == index)

    def shutdown_kernel(self) -> None:
        self.js(_JS_CURRENT_NOTEBOOK + "await panel.sessionContext.shutdown();")

    def close_all(self) -> None:
        """Close every open document without saving (no dialog)."""
        self.js(
            "const app = window.jupyterapp;"
            "for (const w of Array.from(app.shell.widgets('main'))) {"
            "  if (w.context) { w.context.model.dirty = false; } w.close(); }"
        )

    # ----- appearance

    def theme(self) -> str | None:
        return self.page.evaluate("() => document.body.getAttribute('data-jp-theme-name')")

    def set_theme(self, name: str) -> None:
        """Switch theme (command ``apputils:change-theme``) and wait until its CSS is applied."""
        if self.theme() != name:
            self.command("apputils:change-theme", {"theme": name})
        light = "true" if name == LIGHT else None
        self.page.wait_for_function(
            """([name, light]) => document.body.getAttribute('data-jp-theme-name') === name
                 && (light === null || document.body.getAttribute('data-jp-theme-light') === light)
                 && getComputedStyle(document.body).getPropertyValue('--jp-layout-color0').trim() !== ''""",
            arg=[name, light],
        )
        self.wait_painted()

    def wait_painted(self) -> None:
        """Fonts loaded, images decoded, and two animation frames rendered."""
        self.page.evaluate(
            """async () => {
                 await document.fonts.ready;
                 await Promise.all(Array.from(document.images).map(img => img.complete ? null : img.decode().catch(() => null)));
                 await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
               }"""
        )

    def low_contrast_text(self, min_ratio: float = 4.5, selector: str = ".jp-OutputArea-output") -> list[dict]:
        """Text in ``selector`` whose WCAG contrast with its (first opaque) background is below ``min_ratio``.

        Each entry: ``text`` (start of the element's own text), ``color``, ``background``, ``ratio``,
        ``cell`` (index). Colours with transparency are blended onto the background below them.
        """
        return self.js(
            _JS_CURRENT_NOTEBOOK + _JS_CONTRAST
            + """
const out = [];
panel.content.widgets.forEach((cell, index) => {
  for (const el of cell.node.querySelectorAll(arg.selector + ' *')) {
    const found = lowContrast(el, arg.min);
    if (found) out.push({cell: index, ...found});
  }
});
return out;
""",
            {"min": min_ratio, "selector": selector},
        )

    def screenshot_notebook(self, path: Path, max_height: int = 30000) -> Path:
        """A screenshot of the whole notebook: the viewport grows until the notebook stops scrolling."""
        path.parent.mkdir(parents=True, exist_ok=True)
        original = self.page.viewport_size
        extra = self.js(
            _JS_CURRENT_NOTEBOOK
            + "panel.content.activeCellIndex = 0; scroller.scrollTop = 0;"
            + "return Math.max(0, scroller.scrollHeight - scroller.clientHeight);"
        )
        if extra:
            height = min(original["height"] + extra + 40, max_height)
            self.page.set_viewport_size({"width": original["width"], "height": height})
            # The layout follows the window size: wait until nothing of the notebook is left to scroll.
            self.page.wait_for_function(
                """(limit) => { const c = window.jupyterapp.shell.currentWidget.content;
                     const n = c.outerNode || c.node;
                     return n.scrollHeight - n.clientHeight <= 1 || window.innerHeight >= limit; }""",
                arg=max_height,
            )
        self.wait_painted()
        try:
            self.page.screenshot(path=str(path), full_page=True, animations="disabled", caret="hide")
        finally:
            if extra:
                self.page.set_viewport_size(original)
        return path


def copy_notebook(source: Path, server: LabServer, name: str | None = None) -> str:
    """Copy ``source`` into the server's root (the original is never touched); return its name there."""
    name = name or source.name
    shutil.copyfile(source, server.root_dir / name)
    return name
