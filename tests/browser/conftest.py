"""A real `streamlit run` server and Debian's chromium driven by Playwright.

The server runs the app on its embedded offline models (SmolLM2, MiniLM, GloVe),
with the tiny test models added through LMLAB_CATALOG_FILE for the kinds of
model that have no offline copy. Screenshots land in docs/screenshots/ for the README.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from app_servers import free_port, stop_process  # test_gradio_browser.py imports them from here

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "docs" / "screenshots"
CHROMIUM = os.environ.get("LMLAB_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage"]


def wait_for(url: str, timeout: float, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise TimeoutError(url)


@pytest.fixture(scope="session")
def browser_env(tmp_path_factory) -> dict:
    from tiny_models import write_catalog_file

    root = tmp_path_factory.mktemp("browser-models")
    env = dict(os.environ, HF_HUB_OFFLINE="1", LMLAB_DEVICE="cpu",
               LMLAB_CATALOG_FILE=str(write_catalog_file(root)),
               PYTHONPATH=str(ROOT))
    return env


@contextlib.contextmanager
def streamlit_server(env: dict, log_dir: Path):
    """A real `streamlit run app.py` on a free port; yields its URL."""
    port = free_port()
    with open(log_dir / "streamlit.log", "w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.port",
             str(port), "--server.address", "127.0.0.1", "--server.headless", "true"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_for(f"http://127.0.0.1:{port}/_stcore/health", 60, proc)
            yield f"http://127.0.0.1:{port}"
        finally:
            stop_process(proc)


@pytest.fixture(scope="session")
def streamlit_url(browser_env, tmp_path_factory):
    with streamlit_server(browser_env, tmp_path_factory.mktemp("logs")) as url:
        yield url


@pytest.fixture(scope="session")
def chromium():
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is missing: run `make test`, which installs it.")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture()
def page(chromium):
    context = chromium.new_context(viewport={"width": 1400, "height": 1000})
    # Nothing leaves the machine: any request off localhost is aborted.
    context.route("**/*", lambda route: route.continue_()
                  if route.request.url.startswith(("http://127.0.0.1", "http://localhost", "data:",
                                                   "blob:", "about:"))
                  else route.abort())
    page = context.new_page()
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.dialogs = dialogs
    yield page
    context.close()


def wait_app_idle(page, timeout: float = 120_000) -> None:
    """Wait until Streamlit has finished the current script run.

    The app root carries the run state (initial, running, rerunRequested,
    notRunning); a short pause first lets a run that a click just asked for begin.
    """
    page.wait_for_selector("[data-testid='stApp']", timeout=timeout)
    page.wait_for_timeout(300)
    page.wait_for_function(
        "() => ['notRunning', 'initial'].includes(document.querySelector("
        "'[data-testid=\"stApp\"]').getAttribute('data-test-script-state'))", timeout=timeout)


def slider(page, label: str):
    return page.locator("[data-testid='stSlider']").filter(has_text=label).first


def slider_value(page, label: str) -> int:
    return int(slider(page, label).get_by_test_id("stSliderThumbValue").inner_text())


def move_slider_to(page, label: str, value: int, tries: int = 40) -> None:
    """Arrow keys on the slider's thumb, one press per finished run: a press that lands
    while the page reruns can be dropped, so each is checked against the thumb's value."""
    for _ in range(tries):
        thumb = slider(page, label).get_by_role("slider")
        now = slider_value(page, label)
        if now == value:
            return
        thumb.focus()
        thumb.press("ArrowRight" if now < value else "ArrowLeft")
        wait_app_idle(page)
    raise AssertionError(f"the {label} slider did not reach {value}")



def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
