"""Every notebook's widgets, rendered and driven in JupyterLab in a real headless Chromium.

nbval cannot see widgets; this test can. One JupyterLab server (on 127.0.0.1, a free port, a random token and
throw-away Jupyter directories) serves a temporary copy of ``notebooks/``, so Run All (which autosaves) never touches
the repository. The copy leaves out the cells tagged ``browser-skip``: long experiments that no widget needs (nbval
runs them), so that the browser runs what the widgets need and the test suite stays within its time. For each
notebook with code, Chromium opens it, waits until the server reports its kernel idle, runs all cells from the Run
menu, and then checks that

* every widget view the stored notebook displays (a ``LessonView``, CSS class ``bk-view``) rendered, with a figure;
* no "Error displaying widget" text, no ``.jupyter-widgets-error-widget`` box and no error output appears;
* a key press on a control of every view (ArrowRight/ArrowLeft on the first slider, Space on the first checkbox)
  updates the view: its summary text or its figure changes.

Screenshots (after Run All, after the key presses) go to a temporary folder whose path is printed (``pytest -s``).
Without Chromium or Playwright the test skips, saying how to install them, unless ``BATCHKIT_REQUIRE_BROWSER=1``
(set by ``.ci/run``) turns the skip into a failure.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from conftest import missing_requirement
from batchkit.distributed.launcher import free_port  # numpy only: the launcher's port finder
from tests.notebook_files import NOTEBOOKS, code_cells, load

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
INSTALL_HINT = ("apt-get update && apt-get install -y chromium (Debian's Chromium, at /usr/bin/chromium) and "
                "pip install playwright; never run `playwright install`, which downloads a browser")
WIDGET_VIEW_MIME = "application/vnd.jupyter.widget-view+json"

SERVER_START_TIMEOUT = 90  # s; measured 3 s
KERNEL_IDLE_TIMEOUT = 90  # s, from opening the page; measured 5-10 s
RUN_ALL_TIMEOUT = 240  # s; measured 2-10 s per notebook
UPDATE_TIMEOUT = 15  # s, from a key press to the changed view; measured 0.1-1 s


SKIP_TAG = "browser-skip"


def browser_copy(notebook: dict) -> dict:
    """The notebook without its ``browser-skip`` cells, none of which may display a widget; prompts empty."""
    skipped = [cell for cell in notebook["cells"] if SKIP_TAG in cell.get("metadata", {}).get("tags", [])]
    widgets = [cell for cell in skipped
               if any(WIDGET_VIEW_MIME in output.get("data", {}) for output in cell.get("outputs", []))]
    assert not widgets, f"a cell tagged {SKIP_TAG} displays a widget: the browser test must run it"
    copy = {**notebook, "cells": [cell for cell in notebook["cells"] if cell not in skipped]}
    for cell in code_cells(copy):
        cell["execution_count"] = None  # "[ ]" until run: every prompt numbered = Run All has finished
    return copy


def expected_views(notebook: dict) -> int:
    """How many widget views the notebook displays, counted from its stored (executed) outputs."""
    return sum(1 for cell in code_cells(notebook) for output in cell.get("outputs", [])
               if WIDGET_VIEW_MIME in output.get("data", {}))


NOTEBOOKS_WITH_CODE = [path for path in NOTEBOOKS if code_cells(load(path))]  # not the markdown-only pages


def require_browser() -> None:
    """Skip without Chromium or Playwright, or fail instead when BATCHKIT_REQUIRE_BROWSER=1 (CI)."""
    missing = []
    if not CHROMIUM.is_file():
        missing.append(f"{CHROMIUM} not found")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("the Python package playwright is not installed")
    if missing:
        message = f"No browser to test with: {' and '.join(missing)}. Install with: {INSTALL_HINT}"
        if os.environ.get("BATCHKIT_REQUIRE_BROWSER") == "1":
            pytest.fail(f"BATCHKIT_REQUIRE_BROWSER=1 forbids skipping the browser test. {message}", pytrace=False)
        pytest.skip(message)



def wait_for(condition: Callable[[], Any], timeout: float, message: Callable[[], str] | str,
             interval: float = 0.2) -> Any:
    """Poll ``condition`` until it returns something truthy; fail with ``message`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{message() if callable(message) else message} (waited {timeout:g} s)")
        time.sleep(interval)


class LabServer:
    """A JupyterLab server on loopback, serving ``root``, with every Jupyter directory of its own under ``workdir``."""

    def __init__(self, root: Path, workdir: Path) -> None:
        self.root = root
        self.port, self.token = free_port(), secrets.token_urlsafe(24)
        self.url = f"http://127.0.0.1:{self.port}"
        config, data = workdir / "config", workdir / "data"
        settings = config / "lab" / "user-settings" / "@jupyterlab" / "apputils-extension"
        settings.mkdir(parents=True)
        # No news or update toast over the notebook in the screenshots.
        (settings / "notification.jupyterlab-settings").write_text(
            json.dumps({"fetchNews": "false", "checkForUpdates": False}), encoding="utf-8")
        data.mkdir()
        # Kernels inherit this environment: the test process's own (conftest.py fixed BLAS threads and the hash
        # seed), with the user's Jupyter directories replaced. The kernelspec is still found: sys.prefix's
        # share/jupyter stays on the data path, and the native python3 kernel is always there (checked below).
        env = dict(os.environ, JUPYTER_CONFIG_DIR=str(config), JUPYTER_DATA_DIR=str(data),
                   JUPYTER_RUNTIME_DIR=str(workdir / "runtime"),
                   JUPYTERLAB_WORKSPACES_DIR=str(workdir / "workspaces"),
                   JUPYTERLAB_SETTINGS_DIR=str(config / "lab" / "user-settings"))
        self.log_path = workdir / "server.log"
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={self.port}",
                 "--ServerApp.port_retries=0", "--allow-root", f"--IdentityProvider.token={self.token}",
                 f"--ServerApp.root_dir={root}"],
                env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True)  # its own process group, stopped as a whole in stop()

    def log_tail(self, lines: int = 30) -> str:
        text = self.log_path.read_text(encoding="utf-8", errors="replace").splitlines()
        return "\n".join(text[-lines:])

    def api(self, path: str, method: str = "GET") -> Any:
        request = urllib.request.Request(f"{self.url}/api/{path}?token={self.token}", method=method)
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback only
            body = response.read()
        return json.loads(body) if body else None

    def wait_until_ready(self) -> None:
        def ready() -> bool:
            if self.process.poll() is not None:
                raise RuntimeError(f"JupyterLab exited with code {self.process.returncode}:\n{self.log_tail()}")
            try:
                self.api("status")
            except OSError:
                return False
            return True

        wait_for(ready, SERVER_START_TIMEOUT, lambda: f"JupyterLab did not answer on {self.url}:\n{self.log_tail()}",
                 interval=0.3)

    def session(self, notebook_name: str) -> dict | None:
        """The server's session of this notebook (path relative to the root), or None while there is none."""
        return next((s for s in self.api("sessions") if s.get("path") == notebook_name), None)

    def kernel_state(self, notebook_name: str) -> str | None:
        """The execution state of this notebook's kernel, or None while it has no kernel."""
        session = self.session(notebook_name)
        kernel = (session or {}).get("kernel") or {}
        return kernel.get("execution_state")

    def shut_down_kernel(self, notebook_name: str) -> None:
        session = self.session(notebook_name)
        if session:
            self.api(f"sessions/{session['id']}", method="DELETE")

    def stop(self) -> None:
        """Stop the server and everything in its process group, by its PID; SIGKILL if SIGTERM is not enough."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)  # the server shuts its kernels down on SIGTERM
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)  # kernels exit on their own when their parent dies
                self.process.wait()


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    require_browser()
    root = tmp_path_factory.mktemp("notebooks")
    for path in NOTEBOOKS:  # a copy: Run All autosaves outputs, and the repository's notebooks must stay as they are
        (root / path.name).write_text(json.dumps(browser_copy(load(path)), indent=1), encoding="utf-8")
    server = LabServer(root, tmp_path_factory.mktemp("jupyter"))
    try:
        server.wait_until_ready()
        kernels = server.api("kernelspecs")["kernelspecs"]
        for path in NOTEBOOKS_WITH_CODE:
            wanted = load(path)["metadata"].get("kernelspec", {}).get("name", "python3")
            assert wanted in kernels, f"{path.name} needs kernel {wanted!r}; the server offers {sorted(kernels)}"
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def browser(lab, tmp_path_factory):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")), executable_path=str(CHROMIUM), headless=True,
            args=CHROMIUM_ARGS, viewport={"width": 1400, "height": 1000})
        try:
            yield context
        finally:
            context.close()


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory, request):
    folder = tmp_path_factory.mktemp("browser-screenshots")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    with capture.global_and_fixture_disabled() if capture else contextlib.nullcontext():  # shown without -s too
        print(f"\nbrowser test screenshots: {folder}")
    return folder


def prompts(panel) -> list[str]:
    """The input prompts of the notebook's code cells, such as ``[3]:``, ``[*]:`` or ``[ ]:``."""
    return [text.strip() for text in panel.locator(".jp-CodeCell .jp-InputArea-prompt").all_text_contents()]


def executed(shown_prompts: list[str]) -> int:
    """How many of these prompts show an execution count."""
    return sum(bool(re.fullmatch(r"\[\d+\]:", prompt)) for prompt in shown_prompts)


def errors_shown(panel) -> list[str]:
    """Tracebacks, warnings and widget errors visible in the notebook. JupyterLab renders a traceback as stderr, like
    a warning; the stored notebooks have neither (tests/test_notebook_hygiene.py), so any stderr output is an error."""
    stderr = panel.locator('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')
    found = [f"stderr output: {text.strip()[-600:]}" for text in stderr.all_text_contents()]
    found += ["Error displaying widget"] * panel.get_by_text("Error displaying widget").count()
    found += [".jupyter-widgets-error-widget"] * panel.locator(".jupyter-widgets-error-widget").count()
    return found


def snapshot(view) -> tuple[str, str]:
    """What a view shows: its summary text and its figure's src (a new blob URL after every redraw)."""
    return view.locator(".bk-summary").inner_text(), view.locator("img.bk-figure").get_attribute("src") or ""


def wait_until_settled(lab: LabServer, name: str, view, seconds: float = 0.6) -> None:
    """Until the kernel is idle and the view has not changed for ``seconds``."""
    last, since = None, time.monotonic()

    def settled() -> bool:
        nonlocal last, since
        now = (lab.kernel_state(name), snapshot(view))
        if now != last:
            last, since = now, time.monotonic()
        return now[0] == "idle" and time.monotonic() - since >= seconds

    wait_for(settled, UPDATE_TIMEOUT, f"{name}: the view kept changing or the kernel stayed busy", interval=0.1)


def view_name(view) -> str:
    """The view's builder name, from its CSS class ``bk-view-<name>``."""
    found = re.search(r"\bbk-view-(\S+)", view.get_attribute("class") or "")
    return found.group(1) if found else "unnamed"


def show(view) -> None:
    """Scroll a view to the middle of the notebook. Twice: offscreen cells are laid out (content-visibility) only as
    they come near the viewport, which moves the view after the first scroll."""
    for _ in range(2):
        view.evaluate("element => element.scrollIntoView({block: 'center'})")
        time.sleep(0.3)


def key_presses(view) -> list[tuple[str, Any, str]]:
    """The key presses to try on a view: ArrowRight (ArrowLeft at the maximum) on the first slider, Space on the
    first checkbox."""
    presses = []
    handle = view.locator(".noUi-handle").first
    if handle.count():
        at_max = handle.get_attribute("aria-valuenow") == handle.get_attribute("aria-valuemax")
        presses.append(("slider", handle, "ArrowLeft" if at_max else "ArrowRight"))
    checkbox = view.locator(".widget-checkbox input[type=checkbox]").first
    if checkbox.count():
        presses.append(("checkbox", checkbox, "Space"))
    return presses


#: The notebooks this file drives; ``tests/test_browser_late.py`` drives the rest with its own JupyterLab and
#: Chromium, so that pytest-xdist (one file per worker) runs the two halves on two cores at once.
LATE = ("06-", "07-", "08-")
EARLY_NOTEBOOKS = [path for path in NOTEBOOKS_WITH_CODE if not path.name.startswith(LATE)]
LATE_NOTEBOOKS = [path for path in NOTEBOOKS_WITH_CODE if path.name.startswith(LATE)]


@pytest.mark.parametrize("path", EARLY_NOTEBOOKS, ids=[path.name for path in EARLY_NOTEBOOKS])
def test_widgets_render_and_respond_in_jupyterlab(lab, browser, screenshots, path):
    check_notebook_in_jupyterlab(lab, browser, screenshots, path)


def check_notebook_in_jupyterlab(lab, browser, screenshots, path):
    missing = missing_requirement(path)
    if missing:
        pytest.skip(missing)  # an optional extra (torch, for lesson 08) is not installed
    notebook = browser_copy(load(path))
    name, n_code, expected = path.name, len(code_cells(notebook)), expected_views(notebook)
    page = browser.new_page()
    try:
        # ?reset: a fresh workspace, so that only this notebook opens (not the tabs of the previous tests).
        page.goto(f"{lab.url}/lab/tree/{name}?reset&token={lab.token}")
        panel = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)")
        panel.wait_for(timeout=KERNEL_IDLE_TIMEOUT * 1000)
        # The trap: the toolbar says "Idle" before a kernel exists, and Run All then does nothing. Ask the server.
        wait_for(lambda: lab.kernel_state(name) == "idle", KERNEL_IDLE_TIMEOUT,
                 lambda: f"{name}: no idle kernel; the server's sessions: {lab.api('sessions')}")
        # All code cells attached (JupyterLab adds them progressively), none run yet (the copy has no counts).
        wait_for(lambda: len(prompts(panel)) == n_code, 30,
                 lambda: f"{name}: {len(prompts(panel))} code cells on the page, the notebook has {n_code}")
        assert not any(re.search(r"\d", p) for p in prompts(panel)), f"{name}: ran before Run All: {prompts(panel)}"

        page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
        # Exactly "Run All Cells", not "Restart Kernel and Run All Cells…".
        page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click()
        started = time.monotonic()

        def finished() -> bool:  # every cell ran, or an error stopped the run (JupyterLab skips the cells after it)
            if lab.kernel_state(name) != "idle":
                return False
            shown = prompts(panel)
            return executed(shown) == n_code or ("[*]:" not in shown and bool(errors_shown(panel)))

        wait_for(finished, RUN_ALL_TIMEOUT, lambda: f"{name}: Run All did not finish; prompts {prompts(panel)}, "
                                                    f"errors shown: {errors_shown(panel)}")
        print(f"\n{name}: Run All took {time.monotonic() - started:.1f} s")
        assert not errors_shown(panel), f"{name}: errors after Run All: {errors_shown(panel)}"
        assert executed(prompts(panel)) == n_code, f"{name}: not every code cell ran: prompts {prompts(panel)}"

        views = panel.locator(".bk-view")
        wait_for(lambda: views.count() == expected, 30,
                 lambda: f"{name}: {views.count()} widget views (.bk-view) rendered, the stored notebook "
                         f"displays {expected}; errors shown: {errors_shown(panel)}")
        for k in range(expected):
            figure = views.nth(k).locator("img.bk-figure")
            wait_for(lambda: figure.count() == 1 and figure.get_attribute("src"), 30,
                     f"{name}: view {k + 1} of {expected} shows no figure (img.bk-figure with a src)")
        assert not errors_shown(panel), f"{name}: errors after the views rendered: {errors_shown(panel)}"
        if expected:
            show(views.first)
        page.screenshot(path=screenshots / f"{path.stem}-1-run-all.png")

        for k in range(expected):
            view = views.nth(k)
            label = f"view {k + 1} of {expected} ({view_name(view)})"
            presses = key_presses(view)
            assert presses, f"{name}: {label} has no slider or checkbox to change with the keyboard"
            for kind, control, key in presses:
                show(view)
                wait_until_settled(lab, name, view)
                before = snapshot(view)
                control.focus()
                control.press(key)
                wait_for(lambda: snapshot(view) != before, UPDATE_TIMEOUT,
                         f"{name}: {label} did not update (same summary, same figure) after {key} on its first "
                         f"{kind}; it still shows {before[0]!r}")
            wait_until_settled(lab, name, view)
        assert not errors_shown(panel), f"{name}: errors after the key presses: {errors_shown(panel)}"
        if expected:
            show(views.first)  # the same view as in the first screenshot, now changed
        page.screenshot(path=screenshots / f"{path.stem}-2-after-keys.png")
    except BaseException:
        with contextlib.suppress(Exception):
            page.screenshot(path=screenshots / f"{path.stem}-failed.png")
        raise
    finally:
        page.close()
        with contextlib.suppress(OSError):  # a server that died already failed the test more clearly
            lab.shut_down_kernel(name)  # one kernel at a time on a 2-core machine
