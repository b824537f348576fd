"""Every notebook's widgets, rendered and driven in JupyterLab in a real headless Chromium.

nbval cannot see widgets; this test can. One JupyterLab server (on 127.0.0.1, a free port, a random token, and
throw-away Jupyter directories) serves a temporary copy of ``notebooks/``. For each notebook with code, Chromium
opens it, waits until its kernel is really idle, runs all cells, and then checks that

* every widget view the notebook displays (a ``LessonView``, CSS class ``bk-view``) rendered with a figure;
* no "Error displaying widget" text and no ``.jupyter-widgets-error-widget`` box appears;
* one control of every view, changed with the keyboard, updates the view (its summary text or its figure).

Screenshots go to a temporary folder whose path is printed. Without Chromium or Playwright the test skips, saying
how to install them, unless ``BATCHKIT_REQUIRE_BROWSER=1`` (set by ``.ci/run``) turns the skip into a failure.
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
import urllib.request
from pathlib import Path

import pytest

from tests.notebook_files import NOTEBOOKS, code_cells, load

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
INSTALL_HINT = ("install Debian's Chromium and Playwright's Python package: apt-get install chromium && "
                "pip install playwright (never `playwright install`, which downloads a browser)")


def expected_views(notebook: dict) -> int:
    """Widget views the notebook displays, counted from its stored outputs."""
    return sum(1 for cell in code_cells(notebook) for output in cell["outputs"] if WIDGET_MIME in output.get("data", {}))


NOTEBOOKS_WITH_CODE = [path for path in NOTEBOOKS if code_cells(load(path))]


def require_browser() -> None:
    """Skip (or fail, when BATCHKIT_REQUIRE_BROWSER=1) without Chromium or Playwright."""
    missing = []
    if not CHROMIUM.exists():
        missing.append(f"{CHROMIUM} not found")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("the playwright package is not installed")
    if missing:
        message = f"browser test needs a browser: {'; '.join(missing)}. To run it, {INSTALL_HINT}."
        if os.environ.get("BATCHKIT_REQUIRE_BROWSER") == "1":
            pytest.fail(message)
        pytest.skip(message)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get_json(url: str) -> object:
    with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - loopback only
        return json.load(response)


class LabServer:
    """A JupyterLab server on loopback with its own temporary Jupyter directories."""

    def __init__(self, root: Path, workdir: Path) -> None:
        self.port, self.token = free_port(), secrets.token_hex(16)
        self.url = f"http://127.0.0.1:{self.port}"
        config = workdir / "config"
        settings = config / "lab" / "user-settings" / "@jupyterlab" / "apputils-extension"
        settings.mkdir(parents=True)
        # No news or update toast over the notebook in screenshots.
        (settings / "notification.jupyterlab-settings").write_text(
            json.dumps({"fetchNews": "false", "checkForUpdates": False}))
        env = dict(os.environ, JUPYTER_CONFIG_DIR=str(config), JUPYTER_RUNTIME_DIR=str(workdir / "runtime"),
                   JUPYTERLAB_WORKSPACES_DIR=str(workdir / "workspaces"),
                   JUPYTERLAB_SETTINGS_DIR=str(config / "lab" / "user-settings"))
        self.log = open(workdir / "server.log", "w")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ip=127.0.0.1", f"--port={self.port}",
             "--ServerApp.port_retries=0", "--allow-root", f"--IdentityProvider.token={self.token}",
             f"--ServerApp.root_dir={root}"],
            env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        self.wait_until_ready()

    def api(self, path: str) -> object:
        return get_json(f"{self.url}/api/{path}?token={self.token}")

    def wait_until_ready(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"JupyterLab exited with code {self.process.returncode}; see {self.log.name}")
            try:
                self.api("status")
                return
            except OSError:
                time.sleep(0.5)
        raise TimeoutError(f"JupyterLab did not answer within {timeout} s; see {self.log.name}")

    def kernel_state(self, notebook_name: str) -> str | None:
        """Execution state of the kernel of this notebook's session, or None while there is none."""
        for session in self.api("sessions"):
            if session.get("path", "").endswith(notebook_name) and session.get("kernel"):
                return session["kernel"].get("execution_state")
        return None

    def shut_down_kernels(self) -> None:
        """End every session (and its kernel), so that notebooks do not pile up kernels on two cores."""
        for session in self.api("sessions"):
            request = urllib.request.Request(f"{self.url}/api/sessions/{session['id']}?token={self.token}",
                                             method="DELETE")
            urllib.request.urlopen(request, timeout=10).close()  # noqa: S310 - loopback only

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)  # the server and its kernels, by process group
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.log.close()


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    require_browser()
    root = tmp_path_factory.mktemp("notebooks")
    for path in NOTEBOOKS:
        shutil.copy(path, root / path.name)  # Run All saves outputs: never touch the repository's files
    server = LabServer(root, tmp_path_factory.mktemp("jupyter"))
    try:
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
def screenshots(tmp_path_factory):
    folder = tmp_path_factory.mktemp("screenshots")
    print(f"\nbrowser test screenshots: {folder}")
    return folder


def wait_for(condition, timeout: float, message: str, interval: float = 0.25):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(message)


def change_one_control(page, view) -> str:
    """Change the first slider (ArrowRight on its handle) or else the first checkbox (Space) of a view."""
    handle = view.locator(".noUi-handle").first
    if handle.count():
        handle.focus()
        handle.press("ArrowRight")
        return "slider"
    checkbox = view.locator("input[type=checkbox]").first
    checkbox.focus()
    checkbox.press("Space")
    return "checkbox"


@pytest.mark.parametrize("path", NOTEBOOKS_WITH_CODE, ids=[p.name for p in NOTEBOOKS_WITH_CODE])
def test_widgets_render_and_respond_in_jupyterlab(lab, browser, screenshots, path):
    expected = expected_views(load(path))
    page = browser.new_page()
    try:
        # A workspace of its own (reset) per notebook, so that no earlier notebook is restored beside it.
        page.goto(f"{lab.url}/lab/workspaces/{path.stem}/tree/{path.name}?reset&token={lab.token}")
        panel = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)").first
        panel.wait_for(timeout=60_000)
        # The toolbar says "Idle" before a kernel exists: ask the server until this notebook's kernel is idle.
        wait_for(lambda: lab.kernel_state(path.name) == "idle", 90, f"{path.name}: the kernel never became idle")
        page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
        page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
        time.sleep(1.0)
        views = panel.locator(".bk-view")
        wait_for(lambda: lab.kernel_state(path.name) == "idle" and views.count() >= expected,
                 240, f"{path.name}: expected {expected} widget views after Run All, found {views.count()}")
        assert views.count() == expected
        for k in range(expected):
            image = views.nth(k).locator("img.bk-figure, .bk-figure img, img").first
            wait_for(lambda: (image.get_attribute("src") or "").startswith(("blob:", "data:")), 30,
                     f"{path.name}: view {k + 1} shows no figure")
        assert page.get_by_text("Error displaying widget").count() == 0, f"{path.name}: Error displaying widget"
        assert page.locator(".jupyter-widgets-error-widget").count() == 0, f"{path.name}: widget error box"
        page.screenshot(path=str(screenshots / f"{path.stem}-run-all.png"), full_page=False)

        for k in range(expected):
            view = views.nth(k)
            view.scroll_into_view_if_needed()
            summary = view.locator(".bk-summary")
            before = (summary.inner_text(), view.locator("img").first.get_attribute("src"))
            kind = change_one_control(page, view)
            wait_for(lambda: (summary.inner_text(), view.locator("img").first.get_attribute("src")) != before,
                     20, f"{path.name}: view {k + 1} did not update after a key press on its {kind}")
            page.screenshot(path=str(screenshots / f"{path.stem}-view{k + 1}-changed.png"))
        assert page.locator(".jupyter-widgets-error-widget").count() == 0
    finally:
        page.close()
        lab.shut_down_kernels()
