"""A student's code runs in a sandbox: each attack of a determined student, and what stops it.

Every attack notebook prints what it managed to do; the tests check both that print and the
host (files, processes, sockets) from outside. The attacks that would hurt the machine if the
sandbox failed (killing processes) only ever target processes that this test started.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import nbformat
import pytest

from effnet_grading import GradingError, Isolation, Limits, grade, release
from effnet_grading.course import find_course
from effnet_grading.execute import run_notebook
from effnet_grading.sandbox import Sandbox, check_hidden, sandbox_problem
from tests.test_grading import _answer, _snapshot, _write_solutions

if not sys.platform.startswith("linux"):
    pytest.skip("the sandbox is bubblewrap, which is Linux only", allow_module_level=True)

MiB, GiB = 1 << 20, 1 << 30
PACKAGE = find_course().package  # the course's library, as the kernels import it
CORRECT = {"double": "def double(x):\n    return 2 * x", "triple": "def triple(x):\n    return 3 * x"}
LIMITS = Limits(memory=1 * GiB, processes=64, tmp_size=64 * MiB)


def test_bubblewrap_is_installed_and_works_here():
    # CI installs bubblewrap (Makefile TEST_DEBS); without it every test below would only skip.
    assert sandbox_problem() is None


def _processes_with(marker: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and marker.encode() in (entry / "cmdline").read_bytes():
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def _left_after(find, seconds: float = 10.0):
    """What *find()* still reports once it reports nothing, or once *seconds* have passed:
    processes take a moment to be reaped after their kernel is killed."""
    deadline = time.monotonic() + seconds
    while (found := find()) and time.monotonic() < deadline:
        time.sleep(0.2)
    return found


def _hand_in(folder: Path, released: Path, student: str, **answers) -> Path:
    nb = nbformat.read(str(released / "01_double.ipynb"), as_version=4)
    for grade_id, source in {**CORRECT, **answers}.items():
        _answer(nb, grade_id, source)
    path = folder / student / "01_double.ipynb"
    path.parent.mkdir(parents=True)
    nbformat.write(nb, str(path))
    return path


def _printed(result, grade_id="double") -> str:
    cell = next(c for c in result.executed.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)
    return "".join(o.get("text", "") for o in cell.outputs if o.get("output_type") == "stream")


def _attempts(*tries: str) -> str:
    """Cell code that runs each statement and prints DONE or DENIED with the error, per line."""
    lines = []
    for number, statement in enumerate(tries):
        lines += [
            "try:",
            f"    {statement}",
            f"    print('DONE {number}')",
            "except Exception as error:",
            f"    print('DENIED {number}', type(error).__name__)",
        ]
    return "\n".join(lines) + "\n" + CORRECT["double"]


@pytest.fixture(scope="module")
def attacked(tmp_path_factory):
    root = tmp_path_factory.mktemp("sandbox")
    solutions = _write_solutions(root / "solutions")
    release(solutions, root / "exercises")
    released, folder = root / "exercises", root / "submitted"
    outside = root / "outside"
    outside.mkdir()
    marker = f"effnet-detached-{uuid.uuid4().hex}"
    classmate = folder / "zoe_classmate" / "01_double.ipynb"  # graded after the attackers
    server = socket.create_server(("127.0.0.1", 0))
    server.setblocking(False)
    port = server.getsockname()[1]

    _hand_in(folder, released, "reader", double=_attempts(
        f"open({str(solutions / '01_double.ipynb')!r}).read()",
        f"open({str(PACKAGE.parent / 'solutions' / '01_rounding.ipynb')!r}).read()",
        "import effnet_lib, pathlib; list((pathlib.Path(effnet_lib.__file__).parents[1] / 'solutions').iterdir())",
        f"open({str(classmate)!r}).read()",
        "open('/etc/passwd').read()",
    ))
    _hand_in(folder, released, "writer", double=_attempts(
        f"open({str(classmate)!r}, 'w').write('{{}}')",
        f"open({str(outside / 'escaped.txt')!r}, 'w').write('out')",
        f"open({str(PACKAGE / 'escaped.txt')!r}, 'w').write('out')",
        f"open({str(root / 'forged-report.txt')!r}, 'w').write('out')",
        "open('mine.txt', 'w').write('in my scratch folder')",
        "open('/tmp/mine.txt', 'w').write('in my private /tmp')",
    ))
    _hand_in(folder, released, "network", double=_attempts(
        f"__import__('socket').create_connection(('127.0.0.1', {port}), timeout=3)",
        "__import__('socket').getaddrinfo('example.com', 80)",
    ))
    _hand_in(folder, released, "detacher", double=(
        "import subprocess, sys, os\n"
        f"subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)', {marker!r}], start_new_session=True)\n"
        "if os.fork() == 0:\n"
        "    os.setsid()\n"
        f"    os.execv(sys.executable, [sys.executable, '-c', 'import time; time.sleep(120)', {marker!r}])\n"
        + CORRECT["double"]
    ))
    _hand_in(folder, released, "bomb", double=(
        "import os, time\n"
        "made = 0\n"
        "try:\n"
        "    for _ in range(5000):\n"
        "        if os.fork() == 0:\n"
        "            time.sleep(60)\n"
        "            os._exit(0)\n"
        "        made += 1\n"
        "except OSError as error:\n"
        "    print('LIMITED after', made, type(error).__name__)\n"
        + CORRECT["double"]
    ))
    _hand_in(folder, released, "hoarder", double=(
        "kept = []\n"
        "try:\n"
        "    while True:\n"
        "        kept.append(open('/dev/null'))\n"
        "except OSError as error:\n"
        "    reason = error\n"
        "for _ in range(20):\n"   # room for the print to reach the grader
        "    kept.pop().close()\n"
        "print('LIMITED after', len(kept) + 20, type(reason).__name__, reason.errno)\n"
        + CORRECT["double"]
    ))
    _hand_in(folder, released, "hog", double=_attempts(
        "bytearray(2 * 1024 ** 3)",
        "__import__('mmap').mmap(-1, 20 * 1024 ** 3)",
        "open('/tmp/big', 'wb').write(bytes(100 * 1024 ** 2))",
    ))
    _hand_in(folder, released, "zoe_classmate")

    before = _snapshot(folder)
    started = time.monotonic()
    results = {r.student: r for r in grade([folder], solutions, timeout=20, jobs=2, isolation=Isolation(limits=LIMITS))}
    seconds = time.monotonic() - started
    after = _snapshot(folder)
    try:
        connected = server.accept()
    except BlockingIOError:
        connected = None
    server.close()
    return {"results": results, "before": before, "after": after, "outside": outside, "root": root,
            "marker": marker, "connected": connected, "seconds": seconds}


def test_a_kernel_cannot_read_the_solutions_other_submissions_or_the_system(attacked):
    printed = _printed(attacked["results"]["reader"])
    assert printed.split("\n")[:5] == [f"DENIED {n} FileNotFoundError" for n in range(5)], printed
    assert attacked["results"]["reader"].score == 3  # its own answer still counts


def test_a_kernel_can_write_only_its_scratch_folder_and_private_tmp(attacked):
    printed = _printed(attacked["results"]["writer"])
    for number in range(4):
        assert f"DENIED {number}" in printed, printed
    assert "DONE 4" in printed and "DONE 5" in printed, printed
    assert attacked["before"] == attacked["after"], "a submission was changed"
    assert list(attacked["outside"].iterdir()) == []
    assert not (PACKAGE / "escaped.txt").exists() and not (attacked["root"] / "forged-report.txt").exists()
    assert attacked["results"]["zoe_classmate"].score == 3


def test_a_kernel_has_no_network_not_even_the_hosts_loopback(attacked):
    printed = _printed(attacked["results"]["network"])
    assert "DENIED 0" in printed and "DENIED 1" in printed, printed
    assert attacked["connected"] is None


def test_nothing_a_kernel_starts_outlives_it(attacked):
    assert attacked["results"]["detacher"].score == 3
    assert _left_after(lambda: _processes_with(attacked["marker"])) == []


def test_a_fork_bomb_hits_the_process_limit_and_the_rest_is_graded(attacked):
    result = attacked["results"]["bomb"]
    printed = _printed(result)
    assert "LIMITED after" in printed and "BlockingIOError" in printed, printed
    assert int(printed.split()[2]) < LIMITS.processes
    assert result.score == 3, result.questions


def test_a_kernel_cannot_hold_more_open_files_than_its_limit(attacked):
    result = attacked["results"]["hoarder"]
    printed = _printed(result)
    assert "LIMITED after" in printed and "OSError 24" in printed, printed
    assert int(printed.split()[2]) < Limits().open_files
    assert result.score == 3, result.questions  # the kernel still runs the tests with its files used up


def test_memory_and_tmp_hogs_hit_their_limits(attacked):
    printed = _printed(attacked["results"]["hog"])
    assert "DENIED 0 MemoryError" in printed and "DENIED 1 OSError" in printed and "DENIED 2 OSError" in printed, printed
    assert attacked["results"]["hog"].score == 3


def test_every_kernel_is_shut_down_when_its_notebook_is_done():
    """In one process (jobs=1, or a library user's loop) nothing else would end the kernels: a
    cell that spun past its time limit would go on eating a core until the grader exits."""
    def kernels() -> set[int]:
        return set(_processes_with("effnet_grading/kernel.py")) & set(_processes_with("effnet-grading-"))

    before = kernels()
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1"),
                                         nbformat.v4.new_code_cell("while True:\n    pass")])
    execution = run_notebook(nb, timeout=3, isolation=Isolation(limits=LIMITS))
    assert 1 in execution.timed_out
    assert _left_after(lambda: kernels() - before) == set(), "a grading kernel outlived its notebook"


def test_the_process_limit_holds_for_root(tmp_path):
    """Linux exempts root from the process limit; the launcher moves the kernel off root first."""
    with Sandbox(Isolation(limits=Limits(processes=16))) as sandbox:
        count = ("import os, time\nmade = 0\ntry:\n    while made < 100:\n        if os.fork() == 0:\n"
                 "            time.sleep(5); os._exit(0)\n        made += 1\nexcept OSError:\n    pass\n"
                 "print(os.getuid(), made)")
        done = subprocess.run(sandbox.command([sys.executable, "-I", "-S", "-c", count]),
                              capture_output=True, text=True, timeout=60)
    uid, made = map(int, done.stdout.split())
    assert uid != 0 and made < 16, (done.stdout, done.stderr)


def test_folders_under_tmp_stay_readable_inside_the_private_tmp(tmp_path):
    """A CI clone (its virtual environment, the course's files) may live under /tmp: the kernel's
    private /tmp must not hide what is bound there."""
    shared = tmp_path / "shared"              # pytest's tmp_path is under /tmp
    shared.mkdir()
    (shared / "data.txt").write_text("read through the private /tmp")
    with Sandbox(Isolation(expose=(shared,))) as sandbox:
        done = subprocess.run(sandbox.command([sys.executable, "-I", "-S", "-c",
                                               f"print(open({str(shared / 'data.txt')!r}).read())"]),
                              capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "read through the private /tmp", done.stderr


def test_grading_refuses_to_expose_the_solutions_to_kernels(tmp_path):
    with pytest.raises(GradingError, match="every sandboxed kernel can read"):
        check_hidden([PACKAGE / "rules"])
    check_hidden([tmp_path])  # a folder outside what kernels see is fine


@pytest.fixture(scope="module")
def command_line_attack(tmp_path_factory):
    """The grader as instructors run it, in its own process, against students who try to kill
    it, forge its report and leave a process behind to rewrite it later."""
    root = tmp_path_factory.mktemp("cli-attack")
    solutions = _write_solutions(root / "solutions")
    release(solutions, root / "exercises")
    released, folder = root / "exercises", root / "submitted"
    tag = uuid.uuid4().hex
    report = root / f"report-{tag}"
    kill = (
        "import os, signal, pathlib\n"
        "for entry in pathlib.Path('/proc').iterdir():\n"
        "    try:\n"
        f"        if entry.name.isdigit() and b{tag!r} in (entry / 'cmdline').read_bytes():\n"
        "            os.kill(int(entry.name), signal.SIGKILL)\n"
        "    except OSError:\n"
        "        pass\n"
        "for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGKILL):\n"
        "    try:\n"
        "        os.kill(os.getppid(), sig)\n"
        "    except OSError:\n"
        "        pass\n"
    )
    _hand_in(folder, released, "killer", double=kill + CORRECT["double"])
    forge = (
        "import os\n"
        f"for target in ({str(report)!r}, {str(report) + '-2'!r}):\n"
        "    try:\n"
        "        os.makedirs(target, exist_ok=True)\n"
        "        open(os.path.join(target, 'scores.csv'), 'w').write('student,points\\nforger,100\\n')\n"
        "    except OSError:\n"
        "        pass\n"
        "import subprocess, sys\n"
        "later = ('import time, os\\ntime.sleep(3)\\n'\n"
        f"         'open({str(report / 'scores.csv')!r}, \"w\").write(\"forger,100\")')\n"
        f"subprocess.Popen([sys.executable, '-c', later, {tag!r}], start_new_session=True)\n"
    )
    _hand_in(folder, released, "forger", double=forge + "def double(x):\n    return 4")
    _hand_in(folder, released, "zoe_classmate")
    done = subprocess.run(
        [sys.executable, "-m", "effnet_grading", "grade", str(folder), "--source", str(solutions),
         "--report", str(report), "--timeout", "20", "--jobs", "2"],
        capture_output=True, text=True, timeout=600, cwd=root,
    )
    time.sleep(4)  # longer than the forger's delayed writer would wait
    return {"done": done, "report": report, "tag": tag}


def test_students_cannot_kill_the_grader_and_the_batch_completes(command_line_attack):
    done = command_line_attack["done"]
    assert done.returncode == 0, done.stderr[-3000:]
    report = command_line_attack["report"]
    summary = (report / "summary.txt").read_text()
    for line in ("killer: 3 / 3 points", "forger: 1 / 3 points", "zoe_classmate: 3 / 3 points"):
        assert line in summary, summary


def test_a_report_cannot_be_forged_before_or_after_grading(command_line_attack):
    report = command_line_attack["report"]
    assert not report.with_name(report.name + "-2").exists()  # the report went where it was asked
    scores = (report / "scores.csv").read_text()
    assert "forger,100" not in scores and scores.startswith("student,notebook,question")
    assert _processes_with(command_line_attack["tag"]) == []


def test_the_grading_secret_is_on_no_command_line_and_in_no_environment():
    """bwrap's --setenv would put the secret in a command line any local user can read with ps: the
    kernel reads it from its plan file instead, deletes the file, and keeps it in its own memory."""
    secret = f"spring-term-{uuid.uuid4().hex}"
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "import os, time\n"
        f"print(os.environ.get('EFFNET_GRADING_SECRET') == {secret!r}, sorted(os.listdir('..')))\n"
        "time.sleep(3)")])
    seen, stop = [], threading.Event()

    def watch():
        while not stop.is_set():
            for entry in Path("/proc").iterdir():
                for part in ("cmdline", "environ"):
                    try:
                        if secret.encode() in (entry / part).read_bytes():
                            seen.append(f"{entry.name}/{part}")
                    except OSError:
                        continue
            time.sleep(0.05)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        run_notebook(nb, timeout=60, isolation=Isolation(limits=LIMITS, secret=secret))
    finally:
        stop.set()
        watcher.join()
    printed = "".join(o.get("text", "") for o in nb.cells[0].outputs)
    assert printed.startswith("True") and "plan.json" not in printed, printed
    assert seen == [], f"the secret was readable in /proc: {sorted(set(seen))}"


# --- a batch run by an unprivileged user ------------------------------------------------------

TEST_USER = "effnet-grading-ci"


def _unprivileged_command(user: str) -> list[str] | None:
    """The prefix that runs a command as *user* (made for this test when the test runs as root);
    where this Python lives in a folder only root may enter (/root/.pyenv), a private mount
    namespace shows *user* just that one folder. None when it cannot be arranged here."""
    if os.geteuid() != 0:
        return []                                  # already unprivileged: run the batch as it is
    if shutil.which("runuser") is None or shutil.which("useradd") is None or shutil.which("unshare") is None:
        return None
    if subprocess.run(["id", user], capture_output=True).returncode != 0:
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", user], check=True)
    script = []
    for path in (Path(sys.executable).resolve(), Path(sys.base_prefix).resolve(), Path(sys.prefix).resolve()):
        for parent in reversed(path.parents):
            if parent == Path("/") or subprocess.run(["runuser", "-u", user, "--", "test", "-x", str(parent)]).returncode == 0:
                continue
            child = path.relative_to(parent).parts[0]
            view = f"/tmp/.effnet-grading-view-{os.getpid()}"
            step = (f"mkdir -p {view} && mount --bind {parent / child} {view} && "
                    f"mount -t tmpfs -o mode=0755,size=1m tmpfs {parent} && mkdir {parent / child} && "
                    f"mount --move {view} {parent / child} && rmdir {view}")
            if step not in script:
                script.append(step)
            break
    runner = ["runuser", "--preserve-environment", "-u", user, "--"]
    if not script:
        return runner
    return ["unshare", "--mount", "--propagation", "private", "sh", "-c", " && ".join(script) + ' && exec "$@"', "sh",
            *runner]


@pytest.mark.slow
def test_a_batch_run_by_an_unprivileged_user_leaves_nothing_behind():
    """CI runs as root; instructors do not. Run one batch as a user of no privilege (made for the
    test) with a temporary folder of its own, a kernel that makes folders it cannot remove, and
    check that nothing is left: not in that folder, not in its home, not in /tmp."""
    prefix = _unprivileged_command(TEST_USER)
    if prefix is None:
        pytest.skip("running as root without runuser, useradd and unshare: no unprivileged user to run the batch as")
    work = Path(tempfile.mkdtemp(prefix="effnet-grading-unprivileged-"))
    try:
        solutions = _write_solutions(work / "solutions")
        release(solutions, work / "exercises")
        _hand_in(work / "submitted", work / "exercises", "ann")
        _hand_in(work / "submitted", work / "exercises", "ben", double=(
            "import os\n"
            "os.makedirs('locked/inner')\n"
            "open('locked/inner/kept.txt', 'w').write('x')\n"
            "os.chmod('locked/inner', 0)\n"
            "os.chmod('locked', 0o500)\n" + CORRECT["double"]))
        for name in ("tmp", "home"):
            (work / name).mkdir()
        if os.geteuid() == 0:
            subprocess.run(["chown", "-R", f"{TEST_USER}:", str(work)], check=True)
        owner = TEST_USER if os.geteuid() == 0 else None
        tmp_before = {p.name for p in Path("/tmp").iterdir()}
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(work / "home"), "TMPDIR": str(work / "tmp"),
               "LANG": "C.UTF-8"}
        done = subprocess.run([*prefix, sys.executable, "-m", "effnet_grading", "grade", str(work / "submitted"),
                               "--source", str(solutions), "--report", str(work / "report"), "--timeout", "60"],
                              cwd=work, env=env, capture_output=True, text=True, timeout=900)
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
        summary = (work / "report" / "summary.txt").read_text()
        assert "ann: 3 / 3 points" in summary and "ben: 3 / 3 points" in summary, summary
        assert sorted(p.name for p in (work / "tmp").iterdir()) == [], "the batch left temporary files behind"
        assert sorted(str(p) for p in (work / "home").rglob("*")) == [], "the batch wrote into its user's home"
        if owner is not None:
            # By uid, not name: another pytest worker's sandboxes come and go in /tmp meanwhile, owned by
            # uids with no name (getpwuid fails on them) or already gone.
            import pwd

            uid = pwd.getpwnam(owner).pw_uid

            def owned(path):
                try:
                    return path.stat().st_uid == uid
                except FileNotFoundError:
                    return False

            left = [p for p in Path("/tmp").iterdir() if p.name not in tmp_before and owned(p)]
            assert left == [], left
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if os.geteuid() == 0:
            subprocess.run(["userdel", TEST_USER], capture_output=True)


def test_kernels_are_told_where_the_courses_data_is():
    """Inside the sandbox the library cannot find data/ beside its checkout (pyproject.toml and the rest
    are not bound), so the kernel's environment names the bound folder (exercise 7 reads stored models)."""
    from effnet_grading.course import find_course
    from effnet_grading.sandbox import COURSE_DATA_VARIABLE, Isolation, Sandbox
    from effnet_lib.results.locations import ENVIRONMENT_VARIABLE

    course = find_course()
    assert COURSE_DATA_VARIABLE == ENVIRONMENT_VARIABLE and course.data is not None
    with Sandbox(Isolation(course=course)) as sandbox:
        assert sandbox.environment()[COURSE_DATA_VARIABLE] == str(course.data)
        assert course.data in sandbox_read_only(sandbox)


def sandbox_read_only(sandbox):
    from effnet_grading.sandbox import read_only_paths
    return read_only_paths(sandbox.expose, sandbox.isolation.course)
