"""Can torch.compile build kernels on this machine? Asked before anything is compiled.

torch.compile's default backend, Inductor, writes C++ for the CPU and builds it with a C++
compiler (``$CXX``, else ``g++``); on a GPU it writes Triton kernels, and Triton builds each
kernel's launcher with a C compiler (``$CC``, else ``gcc``, else ``clang``) against Python's
headers. Without them nothing fails until the first compiled step, minutes into a run (or a rare
GPU window), so every benchmark here that compiles asks :func:`compile_blocker` first and, when it
answers, runs eager and records the answer as the reason.

    python benchmarks/compiler_check.py          # what torch.compile would use here, or why it cannot

No torch here: the GPU window asks before it starts any stage.
"""
from __future__ import annotations

import os
import shutil
import sys
import sysconfig
from pathlib import Path


def _found(candidates) -> str | None:
    return next((shutil.which(c) for c in candidates if c and shutil.which(c)), None)


def _python_headers() -> Path:
    """Where Triton looks for Python.h (its own rule: Debian's posix_local scheme reads as posix_prefix)."""
    scheme = sysconfig.get_default_scheme()
    scheme = "posix_prefix" if scheme == "posix_local" else scheme
    return Path(sysconfig.get_paths(scheme=scheme)["include"]) / "Python.h"


def compile_blocker(device: str) -> str | None:
    """Why torch.compile (Inductor) cannot build kernels for ``device`` here, in a sentence; None when it can.

    ``device`` is a device type or name: "cpu", "cuda", "cuda:0".
    """
    kind = str(device).split(":")[0]
    if kind == "cuda":
        cc = os.environ.get("CC")
        if cc is not None and not shutil.which(cc):
            return f"no C compiler: $CC is {cc!r}, which is not found (Triton builds each kernel's launcher with it)"
        if cc is None and not _found(("gcc", "clang")):
            return "no C compiler (gcc or clang, or $CC) on the PATH: Triton builds each kernel's launcher with one"
        if not _python_headers().is_file():
            return (f"no Python headers ({_python_headers()} is missing; install python3-dev): Triton builds "
                    "each kernel's launcher against them")
        return None
    if kind == "cpu":
        cxx = os.environ.get("CXX", "g++")
        if not shutil.which(cxx):
            return (f"no C++ compiler: {cxx!r} ({'$CXX' if 'CXX' in os.environ else 'the default, g++'}) is not "
                    "found, and Inductor builds its CPU kernels with it")
        return None
    return f"torch.compile's kernels are not checked for {device!r}; only cpu and cuda are"


def describe(device: str) -> str:
    """One line for a benchmark's header: the compiler torch.compile would use, or why it cannot."""
    blocker = compile_blocker(device)
    if blocker is not None:
        return f"torch.compile on {device}: not possible here ({blocker})"
    if str(device).startswith("cuda"):
        compiler = shutil.which(os.environ.get("CC", "")) or _found(("gcc", "clang"))
    else:
        compiler = shutil.which(os.environ.get("CXX", "g++"))
    return f"torch.compile on {device}: builds with {compiler}"


if __name__ == "__main__":
    for device in sys.argv[1:] or ("cpu", "cuda"):
        print(describe(device))
