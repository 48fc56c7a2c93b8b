"""Each student's kernel in a sandbox of its own: bubblewrap (``bwrap``) on Linux.

What the kernel sees: the system's ``/usr`` (libraries, datasets under /usr/share), the
interpreter and virtual environment the grader runs in, the ``effnet_lib`` package folder the
kernels import (:mod:`.course`) and the course's ``data/`` beside it, and this package, all read-only; a private ``/tmp`` of bounded size; and one
read-write folder of its own (its working directory and the unix sockets it talks over). The
instructor's solutions, the submissions, the report and the rest of the file system are not
there at all. It has its own process tree (it cannot see or signal the grader, and everything
it starts dies with it), no network (not even the host's loopback, hence ``ipc`` sockets
instead of TCP), a new session (no terminal to type into) and limits on memory, processes and
file size (:mod:`.launcher`).

``Sandbox(confine=False)`` gives the same interface without any of this, for systems without
bubblewrap; the command line only allows it with ``--unsafe-no-sandbox``.
"""

from __future__ import annotations

import functools
import itertools
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from jupyter_client.kernelspec import KernelSpec
from jupyter_client.manager import AsyncKernelManager

from .cells import GradingError
from .course import Course, find_course
from .record import Channel, Reading

MiB, GiB = 1 << 20, 1 << 30
SECRET_VARIABLE = "EFFNET_GRADING_SECRET"
COURSE_DATA_VARIABLE = "EFFNET_COURSE_DATA"   # effnet_lib.results.locations.ENVIRONMENT_VARIABLE   # set inside the kernel by kernel.py, from its plan file

# This package: the hidden tests import its own_work in every kernel.
GRADER_PACKAGE = Path(__file__).resolve().parent
LAUNCHER = Path(__file__).resolve().with_name("launcher.py")
# The kernel's first code (it reads its plan, installs the grader's hooks, then starts ipykernel).
KERNEL = GRADER_PACKAGE / "kernel.py"
# Where the launcher appears inside the sandbox.
LAUNCHER_INSIDE = "/run/effnet-grading/launcher.py"

# Files from /etc the dynamic linker, Python and fontconfig want; the rest of /etc stays out.
ETC_FILES = ("/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/localtime", "/etc/alternatives",
             "/etc/fonts")
# Top-level system folders: symlinks into /usr on merged-/usr systems, real folders elsewhere.
SYSTEM_TOPS = ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")

# When the grader is root, each kernel runs as its own unused user id (see launcher.py), made
# from the grading process's id and a count of its sandboxes: no two kernels share a process
# count, not even one starting while the last one's processes are still being torn down.
UID_BASE = 2_000_000_000
_sandboxes_made = itertools.count()


@dataclass(frozen=True)
class Limits:
    """What one kernel may use. ``memory`` counts private writable memory (RLIMIT_DATA);
    the address space gets ``address_space_extra`` on top, because PyTorch and OpenMP reserve
    gigabytes of address space they never touch."""

    memory: int = 4 * GiB
    processes: int = 256  # processes and threads together
    file_size: int = 1 * GiB
    open_files: int = 1024  # file descriptors of each process (Linux's usual soft limit)
    tmp_size: int = 512 * MiB  # the private /tmp and /dev/shm, each
    threads: int = 2  # OMP_NUM_THREADS: concurrent kernels do not fight over cores
    address_space_extra: int = 8 * GiB

    def check(self) -> None:
        for name in ("memory", "processes", "file_size", "open_files", "tmp_size", "threads"):
            if getattr(self, name) < 1:
                raise GradingError(f"the sandbox's {name.replace('_', ' ')} limit must be positive, got {getattr(self, name)}")


@dataclass(frozen=True)
class Isolation:
    """How every kernel of a grading run is confined (plain data, so worker processes get it).

    ``confine=False`` runs kernels as ordinary processes of the grader: no sandbox, no limits.
    ``expose`` lists more host folders the kernels may read (datasets, model weights).
    ``secret`` is the instructor's grading secret, which hidden tests read from the
    environment variable ``EFFNET_GRADING_SECRET`` to pick values a public solution cannot show
    (it reaches the kernel in a file only the kernel reads, never on a command line).
    ``course`` is where the kernels import the course's library from (found when None).
    """

    confine: bool = True
    limits: Limits = Limits()
    expose: tuple[Path, ...] = ()
    secret: str = field(default="", repr=False)
    course: Course | None = None


def _is_inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def read_only_paths(expose: tuple[Path, ...] = (), course: Course | None = None) -> list[Path]:
    """The host folders bound read-only into every sandbox, besides /usr and the system tops."""
    course = course or find_course()
    wanted = [Path(p) for p in (sys.base_prefix, sys.base_exec_prefix, sys.prefix, sys.exec_prefix)]
    wanted += [course.package, *([course.data] if course.data else []), GRADER_PACKAGE, *map(Path, expose)]
    paths: list[Path] = []
    for path in wanted:
        for variant in (path.absolute(), path.resolve()):
            if variant.exists() and not _is_inside(variant, Path("/usr")) and variant not in paths:
                paths.append(variant)
    return paths


def check_hidden(hidden: list[Path], expose: tuple[Path, ...] = (), course: Course | None = None) -> None:
    """Refuse when a folder the kernel can read holds something it must not (the solutions,
    the submissions, the report): say which bound folder exposes it."""
    bound = read_only_paths(expose, course) + [Path("/usr")]
    for secret in hidden:
        secret = Path(secret).resolve()
        for folder in bound:
            if _is_inside(secret, folder.resolve()):
                raise GradingError(
                    f"{secret} is inside {folder}, which every sandboxed kernel can read; "
                    "move it (or the virtual environment) elsewhere so students cannot read it"
                )


class Sandbox:
    """The private world of one kernel; use as a context manager (its folder is removed after, or
    ``removal_problem`` says why it could not be).

    ``kernel_manager(program)`` gives a jupyter_client kernel manager whose kernel starts inside it
    and runs *program*'s course cells (:mod:`.proof`); ``reading()`` is what its record says.
    """

    def __init__(self, isolation: Isolation = Isolation()):
        self.isolation = isolation
        self.limits, self.confine, self.expose = isolation.limits, isolation.confine, isolation.expose
        # Short on purpose: unix socket paths are limited to about 100 characters.
        self.folder = Path(tempfile.mkdtemp(prefix="effnet-grading-"))
        self.scratch = self.folder / "scratch"
        self.scratch.mkdir()
        self.channel: Channel | None = None
        self.plan: Path | None = None
        self.removal_problem: str | None = None
        self.uid = None
        if self.confine and os.geteuid() == 0:
            self.uid = UID_BASE + (os.getpid() << 8) + next(_sandboxes_made) % 256
        if self.uid is not None:
            for path in (self.folder, self.scratch):
                os.chown(path, self.uid, self.uid)

    def __enter__(self) -> "Sandbox":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Remove the folder, whatever the kernel left in it (folders it made unreadable, say)."""
        if self.channel is not None:
            self.reading()
        self.removal_problem = remove_folder(self.folder)

    def reading(self) -> Reading:
        """The kernel's record (call once the kernel is shut down)."""
        if self.channel is None:
            return Reading(problems=["the kernel was started without the grader's record"])
        if not hasattr(self, "_reading"):
            self._reading = self.channel.close()
        return self._reading

    def kernel_manager(self, program: dict) -> AsyncKernelManager:
        """A manager of one kernel that runs *program* (the course cells and what the tests use)."""
        self.channel = Channel(self.folder, self.uid)
        course = self.isolation.course or find_course()
        libraries = [str(course.package), str(GRADER_PACKAGE)]
        self.plan = self.channel.plan(self.folder, program, self.isolation.secret, libraries, self.uid)
        if not self.confine:
            manager = _PlainKernelManager(kernel_name="python3", connection_file=str(self.folder / "kernel.json"))
        else:
            manager = _SandboxedKernelManager(
                kernel_name="python3",
                transport="ipc",
                ip=str(self.folder / "k"),
                connection_file=str(self.folder / "kernel.json"),
            )
        manager.sandbox = self
        return manager

    def command(self, argv: list[str]) -> list[str]:
        """*argv* wrapped: run inside bubblewrap, with the limits, as the sandbox's user."""
        limits = self.limits
        args = ["bwrap", "--die-with-parent", "--new-session"]
        args += ["--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try"]
        if self.uid is None:  # not root: an unprivileged user namespace that cannot nest another
            args += ["--unshare-user", "--disable-userns"]
        else:  # root: keep only what the launcher needs to switch to the sandbox's user id
            args += ["--cap-drop", "ALL", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
        args += ["--ro-bind", "/usr", "/usr"]
        for top in SYSTEM_TOPS:
            if os.path.islink(top):
                args += ["--symlink", os.readlink(top), top]
            elif os.path.isdir(top):
                args += ["--ro-bind", top, top]
        # The private /tmp comes before the binds: a checkout or virtual environment under /tmp (a CI
        # clone, say) is then bound on top of it, where mounting it after would hide them.
        args += ["--proc", "/proc", "--dev", "/dev"]
        for tmp in ("/tmp", "/dev/shm"):
            args += ["--perms", "1777", "--size", str(limits.tmp_size), "--tmpfs", tmp]
        binds = [(Path(path), Path(path)) for path in ETC_FILES if os.path.exists(path)]
        binds += [(path.resolve(), path) for path in read_only_paths(self.expose, self.isolation.course)]
        binds.append((LAUNCHER, Path(LAUNCHER_INSIDE)))
        # bwrap would create the folders above a bind as root-only; the kernel is not root.
        args += _parent_folders([inside for _, inside in binds] + [self.folder])
        for host, inside in binds:
            args += ["--ro-bind", str(host), str(inside)]
        args += ["--bind", str(self.folder), str(self.folder)]
        args += ["--hostname", "sandbox", "--clearenv"]
        for name, value in self.environment().items():
            args += ["--setenv", name, value]
        launch = [sys.executable, "-I", "-S", LAUNCHER_INSIDE,
                  "--data", str(limits.memory),
                  "--address-space", str(limits.memory + limits.address_space_extra),
                  "--processes", str(limits.processes),
                  "--file-size", str(limits.file_size),
                  "--open-files", str(limits.open_files),
                  "--cwd", str(self.scratch)]
        if self.uid is not None:
            launch += ["--uid", str(self.uid)]
        return args + ["--", *launch, "--", *argv]

    def environment(self) -> dict[str, str]:
        """The kernel's whole environment: nothing of the instructor's is passed on (the grading
        secret goes in the kernel's plan file, never here: bwrap's --setenv would show it to every
        user in the process list). The course's data/ is named outright: inside the sandbox the
        library cannot find it beside its checkout (the checkout's other files are not bound)."""
        course = self.isolation.course or find_course()
        data = {COURSE_DATA_VARIABLE: str(course.data)} if course.data else {}
        return {
            **data,
            "PATH": f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin",
            "HOME": "/tmp",
            "USER": "student",
            "LOGNAME": "student",
            "LANG": "C.UTF-8",
            "MPLCONFIGDIR": "/tmp/matplotlib",
            "IPYTHONDIR": "/tmp/ipython",
            "OMP_NUM_THREADS": str(self.limits.threads),
            "PYDEVD_DISABLE_FILE_VALIDATION": "1",
            # ipykernel watches its parent unless told pid 1; the sandbox already ends it with us.
            "JPY_PARENT_PID": "1",
        }


def remove_folder(folder: Path) -> str | None:
    """Remove *folder* and all in it, first making every folder in it that a kernel left unreadable
    or unwritable its owner's again; None when it is gone, else why not, in words."""
    def open_up(path: str) -> None:
        try:
            os.chmod(path, stat.S_IRWXU)
            entries = list(os.scandir(path))
        except OSError:
            return
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                open_up(entry.path)

    if not os.path.lexists(folder):
        return None
    open_up(str(folder))
    try:
        shutil.rmtree(folder)
    except OSError as error:
        return f"could not remove the kernel's folder {folder}: {error.strerror or error}; delete it by hand"
    return None


def _parent_folders(paths: list[Path]) -> list[str]:
    """bwrap arguments making every folder above *paths* (outside /usr) readable by anyone."""
    args: list[str] = []
    seen: set[Path] = set()
    for path in paths:
        for parent in reversed(Path(path).parents):
            if parent == Path("/") or parent in seen or _is_inside(parent, Path("/usr")):
                continue
            seen.add(parent)
            args += ["--perms", "0755", "--dir", str(parent)]
    return args


def _kernel_command(sandbox: Sandbox, connection_file: str, extra: list[str] | None) -> list[str]:
    """The grader's own Python, starting with kernel.py and its plan, then becoming ipykernel.

    Built here rather than taken from a kernelspec: a ``python3`` kernelspec installed by the
    instructor could name another interpreter, whose files are not bound in."""
    return [sys.executable, "-s", str(KERNEL), str(sandbox.plan), "-f", connection_file, *(extra or [])]


# What jupyter_client would otherwise look up among the instructor's kernelspecs (and, to do so, make
# IPython a folder, in the temporary folder when the home folder is not writable).
GRADED_KERNEL = KernelSpec(argv=[], display_name="Python 3 (graded)", language="python", interrupt_mode="signal",
                           env={}, metadata={})


class _PlainKernelManager(AsyncKernelManager):
    """An ordinary local kernel (no sandbox), started through kernel.py all the same."""

    sandbox: Sandbox

    @property
    def kernel_spec(self) -> KernelSpec:
        return GRADED_KERNEL

    def format_kernel_cmd(self, extra_arguments: list[str] | None = None) -> list[str]:
        return _kernel_command(self.sandbox, self.connection_file, extra_arguments)


class _SandboxedKernelManager(_PlainKernelManager):
    """Starts the kernel inside ``self.sandbox``."""

    def write_connection_file(self, **kwargs) -> None:
        super().write_connection_file(**kwargs)
        if self.sandbox.uid is not None:  # the kernel, no longer root, must read it
            os.chown(self.connection_file, self.sandbox.uid, self.sandbox.uid)

    def format_kernel_cmd(self, extra_arguments: list[str] | None = None) -> list[str]:
        return self.sandbox.command(_kernel_command(self.sandbox, self.connection_file, extra_arguments))


# What a kernel of this run imports (kernel.py takes the guard from the grader's own folder, first on
# the path): the course's library, the guard the hidden tests use, and OpenSSL's HMAC for its record.
KERNEL_PROBE = ("import sys; sys.path.insert(0, sys.argv[1])\n"
                "import _hashlib, effnet_lib, effnet_grading.own_work as guard\n"
                "print(effnet_lib.__path__[0]); print(guard.__file__)")


def course_problem(isolation: Isolation) -> str | None:
    """Why a kernel of this run could not import the course's library and the hidden tests' guard,
    or would import other copies than the grader's (None: it imports exactly those)."""
    course = isolation.course or find_course()
    probe = [sys.executable, "-s", "-c", KERNEL_PROBE, str(GRADER_PACKAGE.parent)]
    with Sandbox(isolation) as sandbox:
        argv = sandbox.command(probe) if sandbox.confine else probe
        try:
            done = subprocess.run(argv, cwd=sandbox.scratch, env=sandbox.environment(), capture_output=True,
                                  text=True, timeout=120)
        except (OSError, subprocess.TimeoutExpired) as error:
            return f"a kernel's Python could not be started to check what it imports: {error}"
    if done.returncode != 0:
        detail = (done.stderr.strip().splitlines() or ["no message"])[-1]
        return (f"a {'sandboxed ' if isolation.confine else ''}kernel cannot import the course's library and "
                f"effnet_grading.own_work ({detail}); the grader sees the library at {course.package} and itself "
                f"at {GRADER_PACKAGE}. Install both into the environment that runs the grader ({sys.prefix})")
    found = [Path(line).resolve() for line in done.stdout.split()]
    wanted = [course.package, GRADER_PACKAGE / "own_work.py"]
    if found != wanted:
        return (f"a kernel imports {' and '.join(map(str, found))}, not the grader's own {' and '.join(map(str, wanted))}; "
                f"install the course and the grader you mean into {sys.prefix} (pip install -e PATH)")
    return None


@functools.lru_cache(maxsize=None)
def sandbox_problem() -> str | None:
    """Why sandboxed grading cannot run on this machine, in words with the fix; None if it can.

    Starts one real sandbox (about a tenth of a second) rather than trusting that ``bwrap``
    exists: a container may forbid the namespaces it needs.
    """
    if not sys.platform.startswith("linux"):
        return (f"the grader's sandbox needs Linux (bubblewrap); this is {sys.platform}. Grade on a "
                "Linux machine or virtual machine, or pass --unsafe-no-sandbox to run students' code "
                "with your own permissions")
    if shutil.which("bwrap") is None:
        return ("bubblewrap (bwrap) is not installed, and the grader needs it to isolate students' code: "
                "install it (Debian/Ubuntu: apt-get install bubblewrap; Fedora: dnf install bubblewrap), "
                "or pass --unsafe-no-sandbox to run students' code with your own permissions")
    with Sandbox() as sandbox:
        probe = sandbox.command([sys.executable, "-I", "-S", "-c", "print('sandbox ok')"])
        try:
            done = subprocess.run(probe, capture_output=True, text=True, timeout=60)
        except (OSError, subprocess.TimeoutExpired) as error:
            return f"bubblewrap could not be started: {error}"
    if done.returncode != 0 or "sandbox ok" not in done.stdout:
        detail = (done.stderr.strip().splitlines() or ["no message"])[-1]
        return (f"bubblewrap is installed but could not make a sandbox here ({detail}); it needs "
                "unprivileged user namespaces or root outside a restricted container. Fix that, or "
                "pass --unsafe-no-sandbox to run students' code with your own permissions")
    return None
