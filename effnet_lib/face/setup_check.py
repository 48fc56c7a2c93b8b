"""Notebook 0's check of a reader's set-up: one line per check, and the command that fixes a miss.

The packages come from the installed course itself (`pyproject.toml`'s groups, as pip recorded
them): what the library needs, what the notebooks import, and what JupyterLab adds on a reader's
own machine (Colab and Binder bring their own notebook server). Nothing here downloads anything.

    >>> lines = check_packages()
    >>> lines[0].startswith("python ")
    True
"""
from __future__ import annotations

import sys
from importlib import metadata
from typing import NamedTuple

DISTRIBUTION = "effnet-lib"
GROUPS = {None: "the library's packages", "notebooks": "the notebooks' packages",
          "course": "JupyterLab's packages (your own machine only)"}
FIX = ("On Colab, run the first code cell; on your own machine `make lab` (or `pip install -e .[course]` "
       "in the repository's folder) installs them.")


class Group(NamedTuple):
    """One group of required packages and, of those, the ones not installed."""

    label: str
    packages: tuple[str, ...]
    missing: tuple[str, ...]

    def line(self) -> str:
        if not self.missing:
            return f"{self.label}: all {len(self.packages)} installed"
        return f"{self.label}: MISSING {', '.join(self.missing)}. {FIX}"


def requirements(extra: str | None, distribution: str = DISTRIBUTION) -> list[str]:
    """The packages `distribution` asks for by itself (extra=None), or only in one of its extras."""
    from packaging.requirements import Requirement

    names = []
    for line in metadata.requires(distribution) or []:
        requirement = Requirement(line)
        marker = requirement.marker
        in_extra = marker is not None and "extra" in str(marker)
        if extra is None:
            asked = not in_extra and (marker is None or marker.evaluate())
        else:
            asked = in_extra and marker.evaluate({"extra": extra})
        if asked and requirement.name != distribution:
            names.append(requirement.name)
    return names


def installed(package: str) -> bool:
    try:
        metadata.version(package)
        return True
    except metadata.PackageNotFoundError:
        return False


def package_groups(distribution: str = DISTRIBUTION) -> list[Group]:
    """Each group of `GROUPS` with its packages and the missing ones (the course must be installed)."""
    groups = []
    for extra, label in GROUPS.items():
        packages = tuple(requirements(extra, distribution))
        groups.append(Group(label, packages, tuple(p for p in packages if not installed(p))))
    return groups


def check_packages(distribution: str = DISTRIBUTION) -> list[str]:
    """Python's version, the course's version, then one line per group of packages."""
    lines = [f"python {sys.version.split()[0]}"]
    try:
        version = metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return lines + [f"{distribution} is NOT INSTALLED. {FIX}"]
    return lines + [f"{distribution} {version}"] + [group.line() for group in package_groups(distribution)]
