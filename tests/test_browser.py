"""The course as a student meets it: JupyterLab in a real browser (issues 6 and 12).

JupyterLab starts on a free localhost port with `make lab`'s own command, read from the Makefile
with `make -n lab` (jupyter-student/ as its first configuration folder, the course's root as the
server's root, notebook 0 opened), over a copy of the course, and headless Chromium (Debian's
/usr/bin/chromium, driven by Playwright; no browser is downloaded) opens it in a window of
1400 x 900, a laptop's screen. The tests check, as a student would see it:

- the whole course served from its root: `exercises/` and `notebooks/` in the file browser, an
  exercise served, the lab opening notebook 0;
- no instructor tool: no Nbgrader or Formgrader menu, no Create Assignment panel (and, as a
  control, that the same copy started with `make lab-instructor`'s command does show them where
  nbgrader is installed);
- each notebook once in notebooks/, and no folder of jupytext twins (notebooks/py/, solutions/py/)
  in the file browser; saving a notebook in the lab still updates its twin notebooks/py/NAME.py;
- a widget's static rendering, not widget text or a bar at 0%, in a notebook opened before its
  kernel runs anything;
- notebook 3's phi explorer, after Run All: it fits the screen with its plot beside the sliders; a
  phi typed into the slider's readout shows the library's cost(scale(B0, *compound(phi))); while the
  phi and alpha sliders are dragged, the table and the plot follow, and the test measures how fast
  (written with the machine's load to test-artifacts/browser/explorer_latency.json; budget for phi:
  table 100 ms, plot 200 ms, median of the drag's steps, held where the load average is at most
  the number of cores); a typed FLOPS budget is used exactly, and a budget of 0 clears the table.

Screenshots land in test-artifacts/browser/. The tests skip, saying why, where there is no browser
(`make test` installs Debian's chromium where it can) or while notebook 3 does not exist yet.
"""
from __future__ import annotations

import importlib.util
import json
import math
import os
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
import warnings
from pathlib import Path

import nbformat
import pytest

import effnet_lib
from effnet_lib.face.phi_budget import fit_budget

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = Path("notebooks") / "03_compound_scaling.ipynb"
PAIRED = Path("notebooks") / "00_start_here.ipynb"          # the notebook edited and saved in the lab
STUDENT_CONFIG = ROOT / "jupyter-student"                    # what `make lab` puts first on JUPYTER_CONFIG_PATH
ARTIFACTS = ROOT / "test-artifacts" / "browser"
CHROMIUM = Path("/usr/bin/chromium")
# Headless as root in a sandboxed machine with no network: no sandbox, no GPU, and none of the
# background connections Chromium would otherwise try (and be refused) at start.
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"]
SCREEN = {"width": 1400, "height": 900}
PHI = 3.0                       # the value typed into the slider's readout
BUDGET = 4.0                    # billions of multiply-adds, typed into the budget box
SERVER_START_SECONDS = 90
RUN_ALL_SECONDS = 400           # notebook 3 in smoke mode, in a browser on 2 cores
# How fast the explorer must follow a dragged slider (issue 12), median over the drag's steps.
TABLE_BUDGET_MS, PLOT_BUDGET_MS = 100, 200
DRAG_STEPS, DRAG_STEP_PX = 12, 9
INSTRUCTOR_WORDS = re.compile(r"nbgrader|formgrader|create assignment|assignment list|course list", re.I)

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


# --------------------------------------------------------------------------- the student's lab, without a browser

def _extension_settings(folder: Path) -> dict[str, bool]:
    """Server extensions a Jupyter configuration folder switches on or off."""
    found = {}
    for path in sorted((folder / "jupyter_server_config.d").glob("*.json")) + [folder / "jupyter_server_config.json"]:
        if path.is_file():
            found.update(json.loads(path.read_text()).get("ServerApp", {}).get("jpserver_extensions", {}))
    return found


def test_make_lab_starts_jupyterlab_with_the_student_configuration():
    makefile = (ROOT / "Makefile").read_text()
    recipe = re.search(r"^lab:.*\n\t(.*)$", makefile, re.MULTILINE)
    assert recipe and "JUPYTER_CONFIG_PATH=\"$(STUDENT_CONFIG)\"" in recipe.group(1)
    assert '--ServerApp.root_dir="$(CURDIR)"' in recipe.group(1), "the lab's root must be the course, not notebooks/"
    assert recipe.group(1).endswith("notebooks/00_start_here.ipynb"), "make lab opens notebook 0"
    assert re.search(r"^STUDENT_CONFIG\s*:?=\s*\$\(CURDIR\)/jupyter-student$", makefile, re.MULTILINE)
    assert re.search(r"^lab:\s*\$\(call stamp,course\)", makefile, re.MULTILINE), "make lab installs the course extra"


def test_the_student_configuration_switches_off_every_nbgrader_extension_installed():
    from jupyter_core.paths import jupyter_config_path

    student = _extension_settings(STUDENT_CONFIG)
    enabled_elsewhere = {name for folder in jupyter_config_path() if Path(folder) != STUDENT_CONFIG
                         for name, on in _extension_settings(Path(folder)).items() if on and "nbgrader" in name}
    assert all(student.get(name) is False for name in enabled_elsewhere), (
        f"jupyter-student/jupyter_server_config.json must switch off {sorted(enabled_elsewhere)}")
    page_config = json.loads((STUDENT_CONFIG / "labconfig" / "page_config.json").read_text())
    assert page_config["disabledExtensions"].get("@jupyter/nbgrader") is True


# --------------------------------------------------------------------------- JupyterLab and Chromium

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


COURSE_COPY = ("notebooks", "exercises", "solutions", "data", "benchmarks", "jupyter-student", "Makefile",
               "pyproject.toml", "grading/pyproject.toml")        # the Makefile's set-up rule reads both pyprojects


def _workspace(folder: Path) -> Path:
    """A copy of the course (what `make lab` serves, and the Makefile that serves it), so that the
    browser's saves never touch the repository."""
    work = folder / "course"
    work.mkdir(parents=True)
    for name in COURSE_COPY:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, work / name, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
        elif (ROOT / name).is_file():
            (work / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, work / name)
    return work


def make_command(course: Path, target: str, lab_args: list[str]) -> str:
    """The shell command `make TARGET` runs to start JupyterLab in `course`, read from its Makefile with
    `make -n` (the set-up steps it would run first are left out), with this interpreter's environment."""
    venv = Path(sys.executable).parent.parent
    printed = subprocess.run(["make", "-n", "-s", "-C", str(course), target, f"VENV={venv}",
                              "LAB_ARGS=" + " ".join(lab_args)], capture_output=True, text=True, check=True).stdout
    commands = [line for line in printed.splitlines() if "jupyter lab" in line]
    assert len(commands) == 1, f"`make -n {target}` should print one JupyterLab command, printed:\n{printed}"
    return commands[0]


def _lab_environment(folder: Path) -> dict[str, str]:
    settings = folder / "lab-settings"
    for name, values in LAB_SETTINGS.items():
        path = settings / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    env = dict(os.environ)
    env.pop("JUPYTER_CONFIG_PATH", None)
    env.update({
        "EFFNET_SMOKE": "1",
        "MPLBACKEND": "module://matplotlib_inline.backend_inline",
        "JUPYTERLAB_SETTINGS_DIR": str(settings),
        "JUPYTERLAB_WORKSPACES_DIR": str(folder / "lab-workspaces"),
        "JUPYTER_RUNTIME_DIR": str(folder / "jupyter-runtime"),
    })
    return env           # JUPYTER_CONFIG_PATH is the Makefile's to set, as `make lab` sets it


class Lab:
    """A JupyterLab server of our own on 127.0.0.1, started with `make lab`'s command (or, for the
    instructor's control, `make lab-instructor`'s) in a copy of the course, stopped (with its kernels)
    when the test ends."""

    def __init__(self, root: Path, folder: Path, student: bool = True):
        self.root = root
        self.port, self.token = _free_port(), secrets.token_hex(16)
        self.url = f"http://127.0.0.1:{self.port}"
        self.runtime = folder / "jupyter-runtime"
        self.log = ARTIFACTS / f"jupyterlab-{'student' if student else 'instructor'}.log"
        lab_args = ["--no-browser", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={self.port}",
                    "--ServerApp.port_retries=0", f"--IdentityProvider.token={self.token}", "--LabApp.news_url=None"]
        self.command = make_command(root, "lab" if student else "lab-instructor", lab_args)
        self.process = subprocess.Popen(["bash", "-c", self.command], cwd=root, env=_lab_environment(folder),
                                        stdout=self.log.open("w"), stderr=subprocess.STDOUT,
                                        stdin=subprocess.DEVNULL, start_new_session=True)

    def listing(self, path: str = "") -> list[str]:
        """The names the server lists in a folder, as JupyterLab's file browser shows them."""
        return sorted(item["name"] for item in json.loads(self.api(f"/api/contents/{path}"))["content"])

    def opened(self) -> str:
        """What the lab opens in the browser at start (`make lab` names notebook 0)."""
        pages = sorted(self.runtime.glob("jpserver-*-open.html"))
        return "\n".join(page.read_text() for page in pages)

    def api(self, path: str, method: str = "GET") -> bytes:
        request = urllib.request.Request(f"{self.url}{path}", method=method,
                                         headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.read()

    def status(self, path: str) -> int:
        try:
            self.api(path)
            return 200
        except urllib.error.HTTPError as error:
            return error.code

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


def _start_lab(root: Path, folder: Path, student: bool = True) -> Lab:
    server = Lab(root, folder, student)
    try:
        server.wait_until_up()
    except BaseException:
        server.stop()
        raise
    return server


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip(f"no browser: {CHROMIUM} is missing (Debian: apt-get install chromium; `make test` does this as root)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_FLAGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="module")
def lab(browser, tmp_path_factory):
    """The student's lab (as `make lab` starts it), over a copy of the course shared by this module's tests."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    folder = tmp_path_factory.mktemp("student-lab")
    server = _start_lab(_workspace(folder), folder)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport=SCREEN)
    try:
        tab = context.new_page()
        tab.set_default_timeout(60_000)
        yield tab
    finally:
        context.close()


# --------------------------------------------------------------------------- what the student does

def _open(page, lab: Lab, path: str) -> None:
    """Open `path` (a folder or a file; "" the course's root) in a fresh lab page."""
    page.goto(f"{lab.url}/lab/tree/{path}?reset&token={lab.token}" if path else f"{lab.url}/lab?reset&token={lab.token}")
    page.locator(".lm-MenuBar-itemLabel").first.wait_for()


def _wait_for_kernel(page, name: str) -> None:
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
    pytest.fail(f"the kernel of {name} did not become idle within {SERVER_START_SECONDS} s")


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


def _instructor_tools(page) -> list[str]:
    """Menus, sidebar tabs and panels that name nbgrader's tools."""
    page.wait_for_timeout(1500)       # extensions add their menus a moment after the page loads
    texts = page.locator(".lm-MenuBar-itemLabel").all_inner_texts()
    texts += page.locator(".lm-TabBar-tab").evaluate_all(
        "tabs => tabs.map(t => (t.getAttribute('title') || '') + ' ' + t.innerText)")
    texts += page.locator(".jp-SideBar .lm-Widget[id], .jp-SidePanel").evaluate_all(
        "panels => panels.map(p => p.id + ' ' + (p.getAttribute('aria-label') || ''))")
    return [t.strip() for t in texts if INSTRUCTOR_WORDS.search(t)]


def _slider(page, label: str):
    sliders = page.locator(".phi-explorer .widget-slider").filter(
        has=page.locator(".widget-label", has_text=re.compile(rf"^\s*{label}\b", re.IGNORECASE)))
    if sliders.count() == 0:
        labels = page.locator(".jp-NotebookPanel:visible .widget-slider .widget-label").all_inner_texts()
        pytest.fail(f"{NOTEBOOK} shows no slider labelled {label} after running (slider labels: {labels})")
    return sliders.first


def _wait_for_text(locator, wanted, seconds: float = 30) -> str:
    """The locator's text once `wanted(text)` holds (the kernel answers a moment after the browser asks)."""
    deadline = time.monotonic() + seconds
    text = locator.inner_text()
    while time.monotonic() < deadline and not wanted(text):
        time.sleep(0.2)
        text = locator.inner_text()
    return text


# In the page: time stamps of pointer moves (while a button is down), of table changes, and of plot
# changes (the SVG of what moves, and a reloaded background when the axes grow).
INSTALL_PROBE = """root => {
  const probe = {moves: [], table: [], overlay: [], background: []};
  const watch = (selector, list) => new MutationObserver(() => list.push(performance.now()))
      .observe(root.querySelector(selector), {childList: true, subtree: true, characterData: true});
  watch('.phi-explorer-table-widget', probe.table);
  watch('.phi-explorer-overlay', probe.overlay);
  root.querySelector('.phi-explorer-plot img').addEventListener('load', () => probe.background.push(performance.now()));
  document.addEventListener('pointermove', e => { if (e.buttons) probe.moves.push(performance.now()); }, true);
  window.explorerProbe = probe;
}"""
ANSWERED = """() => { const p = window.explorerProbe, t = p.moves[p.moves.length - 1];
  return t !== undefined && p.table.some(v => v > t) && p.overlay.some(v => v > t); }"""
LATENCIES = """() => { const p = window.explorerProbe;
  return p.moves.map((t, i) => { const next = i + 1 < p.moves.length ? p.moves[i + 1] : Infinity;
    const first = list => list.find(v => v > t && v < next);
    const overlay = first(p.overlay), background = first(p.background);
    return {table: first(p.table) - t, plot: Math.max(overlay, background ?? overlay) - t,
            redrawn: background !== undefined}; }); }"""


def _drag(page, slider, name: str) -> dict:
    """Drag `slider`'s handle step by step, the button held down; after each step wait for the table and
    the plot to answer, and return the milliseconds each took (measured in the page)."""
    page.evaluate("() => { const p = window.explorerProbe; for (const k in p) p[k].length = 0; }")
    handle = slider.locator(".noUi-handle")
    box = handle.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    try:
        for step in range(1, DRAG_STEPS + 1):
            page.mouse.move(x + step * DRAG_STEP_PX, y)
            page.wait_for_function(ANSWERED, timeout=10_000)   # answered while the button is still down
        page.wait_for_timeout(300)                             # a background still loading counts too
    finally:
        page.mouse.up()
    steps = page.evaluate(LATENCIES)
    table = [s["table"] for s in steps if s["table"] is not None]
    plot = [s["plot"] for s in steps if s["plot"] is not None]
    return {"slider": name, "steps": len(steps), "table_ms": [round(v) for v in table],
            "plot_ms": [round(v) for v in plot],
            "table_median_ms": round(statistics.median(table)), "plot_median_ms": round(statistics.median(plot)),
            "table_max_ms": round(max(table)), "plot_max_ms": round(max(plot)),
            "background_redrawn": sum(s["redrawn"] for s in steps)}


# --------------------------------------------------------------------------- the tests

@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.timeout(300)
def test_the_students_lab_shows_no_instructor_tools(lab, page, tmp_path):
    if importlib.util.find_spec("nbgrader") is not None:
        # The control: the same lab without jupyter-student/ shows nbgrader, so the check below can see it.
        instructor = _start_lab(lab.root, tmp_path, student=False)
        try:
            _open(page, instructor, "notebooks")
            shown = _instructor_tools(page)
            page.screenshot(path=ARTIFACTS / "lab_instructor.png")
            assert shown, "without jupyter-student/, nbgrader's menu should show: this test could not see it"
            assert instructor.status("/formgrader") == 200
        finally:
            instructor.stop()
    _open(page, lab, "notebooks")
    shown = _instructor_tools(page)
    page.screenshot(path=ARTIFACTS / "lab_student.png")
    assert not shown, f"the student's JupyterLab shows instructor tools: {shown}"
    assert lab.status("/formgrader") == 404


def _listed(page, lab: Lab, folder: str) -> list[str]:
    """The names JupyterLab's file browser shows in `folder`, opened as a student would open it."""
    _open(page, lab, folder)
    items = page.locator(".jp-DirListing-content .jp-DirListing-item .jp-DirListing-itemText")
    items.first.wait_for()
    page.wait_for_timeout(500)
    return sorted(t.strip() for t in items.all_inner_texts())


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.timeout(300)
def test_the_lab_serves_the_whole_course_and_opens_notebook_0(lab, page):
    assert "--ServerApp.root_dir=" in lab.command and "notebooks/00_start_here.ipynb" in lab.command, lab.command
    assert "notebooks/00_start_here.ipynb" in lab.opened(), "make lab should open notebook 0"
    root = lab.listing()
    assert {"exercises", "notebooks", "solutions"} <= set(root), f"the course's root lists {root}"
    assert lab.status("/api/contents/exercises/01_rounding.ipynb") == 200
    assert lab.status("/files/exercises/01_rounding.ipynb") == 200
    shown = _listed(page, lab, "")
    page.screenshot(path=ARTIFACTS / "lab_root.png")
    assert "exercises" in shown and "notebooks" in shown, f"the file browser at the root shows {shown}"
    exercises = _listed(page, lab, "exercises")
    assert exercises == sorted(p.name for p in (lab.root / "exercises").glob("*.ipynb")), exercises


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.timeout(300)
def test_no_folder_of_twins_is_listed(lab, page):
    for folder in ("notebooks", "solutions"):
        assert "py" not in lab.listing(folder), f"{folder}/py is listed"
        assert lab.status(f"/api/contents/{folder}/py") == 200, f"{folder}/py is hidden from listings, not gone"
    assert "py" not in _listed(page, lab, "solutions")


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.timeout(300)
def test_each_notebook_shows_once_and_saving_keeps_its_py_twin(lab, page):
    listed = _listed(page, lab, "notebooks")
    expected = sorted(p.name for p in (lab.root / "notebooks").glob("*.ipynb"))
    assert listed == expected, f"notebooks/ should list each notebook once, and no folder of twins: {listed}"

    twin = lab.root / "notebooks" / "py" / f"{PAIRED.stem}.py"
    before = twin.read_text()
    _open(page, lab, PAIRED.as_posix())
    _wait_for_kernel(page, PAIRED.name)
    first = page.locator(".jp-NotebookPanel:visible .jp-Cell").first
    first.click()
    page.keyboard.press("Escape")
    page.keyboard.press("b")                                 # a new code cell below, as a student adds one
    page.keyboard.press("Enter")
    page.keyboard.type("note = 'written in the lab'")
    page.keyboard.press("Escape")
    page.keyboard.press("Control+s")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and "written in the lab" not in twin.read_text():
        time.sleep(0.5)
    page.screenshot(path=ARTIFACTS / "paired_save.png")
    after = twin.read_text()
    assert "note = 'written in the lab'" in after and after != before, f"saving {PAIRED} did not update {twin}"
    assert "written in the lab" in (lab.root / PAIRED).read_text()
    assert not (lab.root / PAIRED.with_suffix(".py")).exists(), "jupytext wrote a twin beside the notebook"


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.timeout(300)
def test_widgets_show_their_static_rendering_before_the_kernel_runs(lab, page):
    from nbclient import NotebookClient

    notebook = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("from effnet_lib.face import explorer\nexplorer.PhiExplorer()"),
        nbformat.v4.new_code_cell("from effnet_lib.face.static import progress\n"
                                  "for _ in progress(range(7), label='seven steps'):\n    pass"),
    ])
    NotebookClient(notebook, timeout=120, kernel_name="python3",
                   resources={"metadata": {"path": str(lab.root)}}).execute()
    nbformat.write(notebook, lab.root / "saved_widgets.ipynb")

    _open(page, lab, "saved_widgets.ipynb")
    outputs = page.locator(".jp-NotebookPanel:visible .jp-OutputArea-output")
    outputs.first.wait_for()
    page.wait_for_timeout(2000)
    page.screenshot(path=ARTIFACTS / "static_renderings.png")
    explorer, bar = outputs.nth(0), outputs.nth(1)
    assert explorer.locator("img").count() == 1 and explorer.locator("table.phi-explorer-table").count() == 1, (
        f"the explorer's saved output should show its table and plot, it shows:\n{explorer.inner_text()[:500]}")
    assert "VBox(" not in explorer.inner_text()
    assert re.search(r"seven steps: 100%\|.*7/7", bar.inner_text()), f"the bar shows: {bar.inner_text()!r}"


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.timeout(900)
def test_phi_explorer_fits_the_screen_and_follows_the_sliders(lab, page):
    if not (ROOT / NOTEBOOK).is_file():
        pytest.skip(f"{NOTEBOOK} does not exist yet")
    _open(page, lab, NOTEBOOK.as_posix())
    try:
        _wait_for_kernel(page, NOTEBOOK.name)
        _run_all_cells(page)
        _wait_until_every_cell_ran(page)

        slider = _slider(page, "phi")
        explorer = page.locator(".phi-explorer").first
        explorer.evaluate("e => e.scrollIntoView({block: 'start'})")
        page.wait_for_timeout(500)
        table = explorer.locator(".phi-explorer-table-widget")
        plot = explorer.locator(".phi-explorer-plot")
        message = explorer.locator(".phi-explorer-message")
        page.screenshot(path=ARTIFACTS / "03_phi_explorer_screen.png")

        # One screen: the sliders, the table and the plot in view together, the plot at a readable size.
        notebook_area = page.locator(".jp-NotebookPanel:visible .jp-WindowedPanel-outer, "
                                     ".jp-NotebookPanel:visible .jp-Notebook").first.bounding_box()
        boxes = {name: locator.bounding_box() for name, locator in
                 (("phi slider", slider), ("table", table), ("plot", plot), ("explorer", explorer))}
        for name, box in boxes.items():
            assert box["x"] >= notebook_area["x"] - 1 and box["x"] + box["width"] <= SCREEN["width"] + 1, \
                f"the {name} does not fit the screen's width: {box}"
            assert box["y"] >= notebook_area["y"] - 1 and box["y"] + box["height"] <= SCREEN["height"] + 1, \
                f"the {name} is not in view with the others on a {SCREEN} screen: {box}"
        assert boxes["plot"]["x"] > boxes["phi slider"]["x"] + boxes["phi slider"]["width"], "the plot should sit beside the sliders"
        for name in ("table.phi-explorer-table", ".phi-explorer-message"):
            box = explorer.locator(name).bounding_box()
            if box:              # the message is hidden while there is nothing to say
                column = explorer.locator(name).evaluate("e => e.closest('.widget-vbox').getBoundingClientRect().right")
                assert box["x"] + box["width"] <= min(column, boxes["plot"]["x"]) + 1, f"{name} is wider than its column: {box}"
        assert boxes["plot"]["width"] >= 400 and boxes["plot"]["height"] >= 400, f"the plot is too small: {boxes['plot']}"

        # A typed phi shows the library's cost.
        before = table.inner_text()
        readout = slider.locator(".widget-readout")
        readout.click()
        page.keyboard.press("Control+A")
        page.keyboard.type(f"{PHI:g}")
        page.keyboard.press("Enter")
        phi = float(readout.inner_text())
        assert math.isclose(phi, PHI), f"typed phi = {PHI:g} into the readout, the slider shows {phi:g}"
        want = expected_cost(phi)
        after = _wait_for_text(table, lambda t: shows(t, want.parameters) and shows(t, want.multiply_adds))
        assert not shows(before, want.parameters), f"the explorer showed phi = {phi:g}'s cost before phi was set"
        assert shows(after, want.parameters), (
            f"phi = {phi:g}: the table should show {want.parameters:,} parameters "
            f"(effnet_lib.cost(scale(B0, *compound({phi:g})))), it shows:\n{after}")
        assert shows(after, want.multiply_adds), (
            f"phi = {phi:g}: the table should show {want.multiply_adds:,} multiply-adds, it shows:\n{after}")

        # Dragging: the table and the plot follow while the button is down; how fast is measured in the page.
        explorer.evaluate(INSTALL_PROBE)
        drags = [_drag(page, _slider(page, "phi"), "phi"), _drag(page, _slider(page, "alpha"), "alpha")]
        page.screenshot(path=ARTIFACTS / "03_phi_explorer_dragged.png")
        measured = {"cpus": os.cpu_count(), "load_average": [round(v, 1) for v in os.getloadavg()], "drags": drags}
        (ARTIFACTS / "explorer_latency.json").write_text(json.dumps(measured, indent=2) + "\n")
        print("explorer latency:", json.dumps(measured))
        for drag in drags:        # every step answered while the button was down
            assert drag["steps"] == DRAG_STEPS and len(drag["table_ms"]) == len(drag["plot_ms"]) == DRAG_STEPS
        # The budget holds for phi (alpha's steps also recompute the curve; recorded, not held to it).
        # Timings mean little on a machine running more jobs than it has cores: then they are recorded only.
        phi_drag = drags[0]
        within = phi_drag["table_median_ms"] <= TABLE_BUDGET_MS and phi_drag["plot_median_ms"] <= PLOT_BUDGET_MS
        verdict = (f"dragging phi: the explorer should answer within {TABLE_BUDGET_MS} ms (table) and {PLOT_BUDGET_MS} "
                   f"ms (plot); median {phi_drag['table_median_ms']} and {phi_drag['plot_median_ms']} ms: {measured}")
        if os.getloadavg()[0] <= os.cpu_count():
            assert within, verdict
        elif not within:
            warnings.warn(f"machine busy, latency budget not held: {verdict}")

        # A typed budget is used exactly; a budget nothing fits clears the table and says why.
        explorer.get_by_role("button", name="paper's alpha, beta, gamma").click()
        _wait_for_text(table, lambda t: "1.920" in t)
        budget = explorer.locator(".widget-text", has=page.locator(".widget-label", has_text="budget")).locator("input")
        budget.fill(f"{BUDGET:g}")
        budget.press("Enter")
        fitted = fit_budget(BUDGET * 1e9)
        note = _wait_for_text(message, lambda t: f"phi = {fitted:.2f}" in t)
        assert f"Budget {BUDGET:g} billion multiply-adds: phi = {fitted:.2f}" in note, note
        assert shows(table.inner_text(), expected_cost(fitted).multiply_adds)
        assert float(readout.inner_text()) == pytest.approx(fitted)
        budget.fill("0")
        budget.press("Enter")
        note = _wait_for_text(message, lambda t: "positive number" in t)
        assert "positive number" in note and table.inner_text().strip() == "", (note, table.inner_text())
        page.screenshot(path=ARTIFACTS / "03_phi_explorer_budget_0.png")
        assert page.locator(".jp-NotebookPanel:visible .jp-OutputArea-output[data-mime-type="
                            "'application/vnd.jupyter.stderr']").count() == 0, "a traceback appeared"
    finally:
        page.screenshot(path=ARTIFACTS / "03_compound_scaling.png")
