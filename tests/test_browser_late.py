"""The browser test (see ``tests/test_browser.py``) for the later lessons, in a file of its own so that pytest-xdist
runs it beside the first half on another core: each half starts its own JupyterLab and Chromium."""

from __future__ import annotations

import pytest

from tests.test_browser import LATE_NOTEBOOKS, browser, check_notebook_in_jupyterlab, lab, screenshots  # noqa: F401

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("path", LATE_NOTEBOOKS, ids=[path.name for path in LATE_NOTEBOOKS])
def test_widgets_render_and_respond_in_jupyterlab(lab, browser, screenshots, path):  # noqa: F811
    check_notebook_in_jupyterlab(lab, browser, screenshots, path)
