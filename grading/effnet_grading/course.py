"""Where the course's library lives: as the grader sees it, and as the kernels it starts will import it.

The grader imports nothing of ``effnet_lib``, but every exercise does, and each kernel runs the
grader's own Python in an empty folder with a clean environment. So a kernel imports the library
from what that Python has installed, while the grader's process may see another copy first (the
folder it was started in, ``PYTHONPATH``). Grading with two copies would bind one into the sandbox
while the kernels look for the other: every read-only import cell would fail, and every notebook
would score zero. :func:`find_course` asks the kernels' Python before anything runs, and refuses,
naming both places, when the two differ.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .cells import GradingError

LIBRARY = "effnet_lib"

# Run by the kernels' Python exactly as a kernel starts (no user site, a clean environment, an empty
# working folder): where it would import the library from, without importing it.
PROBE = ("import importlib.util, sys\n"
         "spec = importlib.util.find_spec(sys.argv[1])\n"
         "print(spec.submodule_search_locations[0] if spec and spec.submodule_search_locations else '')")


@dataclass(frozen=True)
class Course:
    """The library package folder the kernels import, and the course's ``data/`` beside it (a source
    checkout has one; a library installed into site-packages has none)."""

    package: Path
    data: Path | None


def grader_view(library: str = LIBRARY) -> Path | None:
    """The package folder ``import effnet_lib`` gives in this process (None: it is not importable)."""
    spec = importlib.util.find_spec(library)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0]).resolve()


def kernel_view(library: str = LIBRARY) -> Path | None:
    """The package folder a kernel of this Python imports (None: it is not importable there)."""
    environment = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8"}
    with tempfile.TemporaryDirectory(prefix="effnet-grading-probe-") as empty:
        done = subprocess.run([sys.executable, "-s", "-c", PROBE, library], cwd=empty, env=environment,
                              capture_output=True, text=True, timeout=120)
    found = done.stdout.strip()
    if done.returncode != 0 or not found:
        return None
    return Path(found).resolve()


@functools.lru_cache(maxsize=None)
def find_course(library: str = LIBRARY) -> Course:
    """The library the kernels will import, checked to be the one this grader sees."""
    ours, theirs = grader_view(library), kernel_view(library)
    if theirs is None:
        here = f" (this grader sees it at {ours})" if ours else ""
        raise GradingError(
            f"the kernels' Python ({sys.executable}) cannot import {library}{here}: install the course "
            f"into the environment that runs the grader, e.g. `{sys.executable} -m pip install -e PATH/TO/COURSE`")
    if ours is not None and ours != theirs:
        raise GradingError(
            f"this grader imports {library} from {ours}, but its kernels would import it from {theirs} "
            f"(installed in {sys.prefix}); grading with two copies of the course fails every notebook. "
            f"Install the one you mean (`{sys.executable} -m pip install -e {ours.parent}`), or start the "
            "grader from a folder that holds no other copy")
    data = theirs.parent / "data"
    in_checkout = data.is_dir() and theirs.parent.name not in ("site-packages", "dist-packages")
    return Course(package=theirs, data=data.resolve() if in_checkout else None)
