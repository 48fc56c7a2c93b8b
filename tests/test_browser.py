"""The course as a student meets it: JupyterLab in a real browser (issue 6).

The test starts JupyterLab on a free localhost port, opens notebook 3 in headless Chromium (Debian's
/usr/bin/chromium, driven by Playwright; no browser is downloaded), runs all cells from the Run menu,
types a value of phi into the phi slider's readout, and checks that the explorer's table then shows
the library's parameters and multiply-adds for that phi, i.e.
``cost(scale(B0, *compound(phi)))``. Screenshots land in test-artifacts/browser/.

It skips, saying why, where there is no browser (`make test` installs Debian's chromium where it
can) or while notebook 3 does not exist yet.
"""
from __future__ import annotations

import json
import math
import os
import re
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

import effnet_lib

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = Path("notebooks") / "03_compound_scaling.ipynb"
ARTIFACTS = ROOT / "test-artifacts" / "browser"
CHROMIUM = Path("/usr/bin/chromium")
# Headless as root in a sandboxed machine with no network: no sandbox, no GPU, and none of the
# background connections Chromium would otherwise try (and be refused) at start.
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"]
PHI = 3.0                       # the value typed into the slider's readout
SERVER_START_SECONDS = 90
RUN_ALL_SECONDS = 400           # notebook 3 in smoke mode, in a browser on 2 cores

# JupyterLab settings for a quiet, predictable page: no news or update prompts, every cell attached.
LAB_SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings":
        {"fetchNews": "false", "checkForUpdates": False},
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
}


# --------------------------------------------------------------------------- what the table must show

def expected_cost(phi: float) -> effnet_lib.Cost:
    """Eq. 3 applied to B0 with the paper's alpha, beta, gamma, costed from the table."""
    return effnet_lib.cost(effnet_lib.scale(effnet_lib.B0, *effnet_lib.compound(phi)))


_SCALES = {"": 1, "k": 1e3, "K": 1e3, "M": 1e6, "B": 1e9, "G": 1e9,
           "thousand": 1e3, "million": 1e6, "billion": 1e9}
_NUMBER = re.compile(r"(\d[\d,]*(?:\.\d+)?)\s*(thousand|million|billion|[kKMBG](?![A-Za-z]))?")


def shown_numbers(text: str) -> list[tuple[float, float]]:
    """Every number in `text` as (value, half a unit of its last digit), reading 1.8B, 5.3 M, 5,288,548."""
    numbers = []
    for digits, suffix in _NUMBER.findall(text):
        scale = _SCALES[suffix or ""]
        plain = digits.replace(",", "")
        decimals = len(plain.split(".")[1]) if "." in plain else 0
        numbers.append((float(plain) * scale, 0.5 * 10 ** -decimals * scale))
    return numbers


def shows(text: str, value: int) -> bool:
    """Whether `text` states `value` to the precision it prints (two significant digits at least)."""
    return any(abs(shown - value) <= tolerance * (1 + 1e-9) and tolerance <= 0.05 * value
               for shown, tolerance in shown_numbers(text))


def test_number_reading_understands_the_ways_a_table_prints_counts():
    assert shows("Parameters 12,233,232", 12_233_232)
    assert shows("params: 12.2M, FLOPS 1.8B", 12_233_232)
    assert shows("multiply-adds 1.83 B", 1_830_000_000)
    assert not shows("params: 12.5M", 12_233_232)
    assert not shows("phi 3", 3_000_000)
    assert not shows("12M", 12_233_232 * 2)


# --------------------------------------------------------------------------- JupyterLab and Chromium

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _workspace(tmp_path: Path) -> Path:
    """A copy of the course's notebooks and data, so that the browser's saves never touch the repository."""
    work = tmp_path / "course"
    for folder in ("notebooks", "data"):
        if (ROOT / folder).is_dir():
            shutil.copytree(ROOT / folder, work / folder, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    return work


def _lab_environment(tmp_path: Path) -> dict[str, str]:
    settings = tmp_path / "lab-settings"
    for name, values in LAB_SETTINGS.items():
        path = settings / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    env = dict(os.environ)
    env.update({
        "EFFNET_SMOKE": "1",
        "MPLBACKEND": "module://matplotlib_inline.backend_inline",
        "JUPYTERLAB_SETTINGS_DIR": str(settings),
        "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / "lab-workspaces"),
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "jupyter-runtime"),
    })
    return env


class Lab:
    """A JupyterLab server of our own on 127.0.0.1, stopped (with its kernels) when the test ends."""

    def __init__(self, root: Path, env: dict[str, str], log: Path):
        self.port, self.token = _free_port(), secrets.token_hex(16)
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        command = [sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root",
                   "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={self.port}", "--ServerApp.port_retries=0",
                   f"--IdentityProvider.token={self.token}", f"--ServerApp.root_dir={root}",
                   "--LabApp.news_url=None"]
        self.process = subprocess.Popen(command, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT,
                                        stdin=subprocess.DEVNULL, start_new_session=True)

    def api(self, path: str, method: str = "GET") -> bytes:
        request = urllib.request.Request(f"{self.url}{path}", method=method,
                                         headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.read()

    def wait_until_up(self) -> None:
        deadline = time.monotonic() + SERVER_START_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"JupyterLab exited with code {self.process.returncode}:\n{self.log.read_text()[-3000:]}")
            try:
                self.api("/api/status")
                return
            except OSError:
                time.sleep(0.5)
        pytest.fail(f"JupyterLab did not answer within {SERVER_START_SECONDS} s:\n{self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        try:
            self.api("/api/shutdown", method="POST")  # shuts the kernels down too
            self.process.wait(timeout=20)
        except (OSError, subprocess.TimeoutExpired):
            pass
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


@pytest.fixture
def lab(tmp_path):
    if not (ROOT / NOTEBOOK).is_file():
        pytest.skip(f"{NOTEBOOK} does not exist yet")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    server = Lab(_workspace(tmp_path), _lab_environment(tmp_path), ARTIFACTS / "jupyterlab.log")
    try:
        server.wait_until_up()
        yield server
    finally:
        server.stop()


@pytest.fixture
def page():
    if not CHROMIUM.exists():
        pytest.skip(f"no browser: {CHROMIUM} is missing (Debian: apt-get install chromium; `make test` does this as root)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_FLAGS)
        try:
            yield browser.new_page(viewport={"width": 1400, "height": 1000})
        finally:
            browser.close()


# --------------------------------------------------------------------------- the student's path

def _wait_for_kernel(page) -> None:
    """Wait until the notebook's kernel is idle, accepting the kernel dialog as a student would."""
    idle = page.locator(".jp-NotebookPanel:visible .jp-Notebook-ExecutionIndicator[data-status='idle']")
    kernel = page.locator(".jp-NotebookPanel:visible .jp-Toolbar-kernelName")
    accept = page.locator(".jp-Dialog .jp-Dialog-button.jp-mod-accept")
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        if accept.count() and accept.first.is_visible():
            accept.first.click()
        elif idle.count() and kernel.count() and kernel.first.inner_text().strip() not in ("", "No Kernel"):
            return
        time.sleep(0.5)
    pytest.fail(f"the kernel of {NOTEBOOK} did not become idle within {SERVER_START_SECONDS} s")


def _run_all_cells(page) -> None:
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
    page.get_by_role("menuitem", name="Run All Cells", exact=True).click()


def _wait_until_every_cell_ran(page) -> None:
    """Run All stops at the first error, leaving later prompts empty: so every prompt must get a number."""
    deadline = time.monotonic() + RUN_ALL_SECONDS
    prompts = page.locator(".jp-NotebookPanel:visible .jp-CodeCell .jp-InputPrompt")
    texts: list[str] = []
    while time.monotonic() < deadline:
        texts = [t.strip() for t in prompts.all_inner_texts()]
        idle = page.locator('.jp-NotebookPanel:visible .jp-Notebook-ExecutionIndicator[data-status="idle"]').count()
        if texts and idle and all(re.fullmatch(r"\[\d+\]:", t) for t in texts):
            return
        time.sleep(1)
    errors = page.locator(".jp-NotebookPanel:visible .jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
    detail = "\n".join(errors.all_inner_texts())[-3000:]
    pytest.fail(f"not every cell of {NOTEBOOK} ran within {RUN_ALL_SECONDS} s; prompts {texts}\n{detail}")


def _phi_slider(page):
    sliders = page.locator(".jp-NotebookPanel:visible .widget-slider").filter(
        has=page.locator(".widget-label", has_text=re.compile(r"^\s*(phi|φ|ϕ)\b", re.IGNORECASE)))
    if sliders.count() == 0:
        labels = page.locator(".jp-NotebookPanel:visible .widget-slider .widget-label").all_inner_texts()
        pytest.fail(f"{NOTEBOOK} shows no slider labelled phi after running (slider labels: {labels})")
    return sliders.first


def _wait_until_shown(locator, cost: effnet_lib.Cost, seconds: float = 30) -> str:
    """The locator's text once it shows both counts of `cost` (the kernel answers a moment after the readout)."""
    deadline = time.monotonic() + seconds
    text = locator.inner_text()
    while time.monotonic() < deadline and not (shows(text, cost.parameters) and shows(text, cost.multiply_adds)):
        time.sleep(0.3)
        text = locator.inner_text()
    return text


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.timeout(600)
def test_phi_slider_shows_the_library_cost_in_jupyterlab(lab, page):
    page.set_default_timeout(60_000)
    page.goto(f"{lab.url}/lab/tree/{NOTEBOOK.as_posix()}?reset&token={lab.token}")
    try:
        _wait_for_kernel(page)
        _run_all_cells(page)
        _wait_until_every_cell_ran(page)

        slider = _phi_slider(page)
        explorer = slider.locator("xpath=ancestor::div[contains(@class, 'jp-OutputArea-output')][1]")
        slider.scroll_into_view_if_needed()
        before = explorer.inner_text()

        readout = slider.locator(".widget-readout")
        readout.click()
        page.keyboard.press("Control+A")
        page.keyboard.type(f"{PHI:g}")
        page.keyboard.press("Enter")
        phi = float(readout.inner_text())
        assert math.isclose(phi, PHI), f"typed phi = {PHI:g} into the readout, the slider shows {phi:g}"
        want = expected_cost(phi)
        after = _wait_until_shown(explorer, want)
        explorer.screenshot(path=ARTIFACTS / "03_phi_explorer.png")

        assert not shows(before, want.parameters), f"the explorer showed phi = {phi:g}'s cost before phi was set"
        assert shows(after, want.parameters), (
            f"phi = {phi:g}: the table should show {want.parameters:,} parameters "
            f"(effnet_lib.cost(scale(B0, *compound({phi:g})))), it shows:\n{after}")
        assert shows(after, want.multiply_adds), (
            f"phi = {phi:g}: the table should show {want.multiply_adds:,} multiply-adds, it shows:\n{after}")
    finally:
        page.screenshot(path=ARTIFACTS / "03_compound_scaling.png")
