"""Where the course keeps its data: the one place that finds ``data/`` (results, samples, downloads).

The course's ``data/`` folder sits beside the package in a checkout (an editable install, a source
tree copied to a GPU machine, Binder, Colab's clone). A plain ``pip install`` puts the package in
site-packages without it, so the folder is looked for in this order:

1. the ``folder`` a caller passes (every loader takes one);
2. ``$EFFNET_COURSE_DATA``, for an install that lives apart from its checkout;
3. ``data/`` of the checkout that holds this package;
4. ``data/`` of the working directory or a folder above it (a notebook runs in ``notebooks/``).

When none exists, :class:`CourseDataNotFound` says where it looked and how to point at the folder.
"""
from __future__ import annotations

import os
from pathlib import Path

__all__ = ["ENVIRONMENT_VARIABLE", "CourseDataNotFound", "checkout", "course_data", "results_dir", "samples_dir"]

ENVIRONMENT_VARIABLE = "EFFNET_COURSE_DATA"
_PACKAGE = Path(__file__).resolve().parents[1]


class CourseDataNotFound(FileNotFoundError):
    """The course's data/ folder is nowhere this library knows to look."""


def checkout() -> Path | None:
    """The source tree that holds this package (its pyproject.toml beside it), or None when installed alone."""
    root = _PACKAGE.parent
    return root if (root / "pyproject.toml").is_file() and (root / "effnet_lib").is_dir() else None


def _candidates(folder: str | os.PathLike | None) -> list[tuple[str, Path]]:
    places = []
    if folder is not None:
        places.append(("the folder passed in", Path(folder).expanduser()))
    if os.environ.get(ENVIRONMENT_VARIABLE):
        places.append((f"${ENVIRONMENT_VARIABLE}", Path(os.environ[ENVIRONMENT_VARIABLE]).expanduser()))
    if checkout() is not None:
        places.append(("the checkout holding effnet_lib", checkout() / "data"))
    here = Path.cwd().resolve()
    places += [("the working directory or above", parent / "data") for parent in (here, *here.parents)
               if (parent / "data" / "results").is_dir()][:1]
    return places


def course_data(folder: str | os.PathLike | None = None, must_exist: bool = True) -> Path:
    """The course's ``data/`` folder (see the module's docstring for the order it is looked for in).

    ``must_exist=False`` returns where it would be made (the first candidate, else ``./data``) instead
    of refusing, for a download into a fresh checkout.

    >>> course_data().name
    'data'
    """
    places = _candidates(folder)
    if folder is not None:                    # a folder named outright is the answer, or an error
        places = places[:1]
    for _, place in places:
        if place.is_dir() or not must_exist:
            return place
    if not must_exist:
        return Path.cwd() / "data"
    looked = "".join(f"\n  {where}: {place}" for where, place in places) or " (nowhere: no checkout, no variable)"
    raise CourseDataNotFound(
        f"the course's data/ folder was not found. Looked in:{looked}\n"
        f"Pass its path (folder=...), or set {ENVIRONMENT_VARIABLE}=/path/to/efficientnet-explorable/data "
        "(the folder of the course's checkout that holds results/ and samples/).")


def results_dir(folder: str | os.PathLike | None = None) -> Path:
    """``data/results``: the stored studies (one JSON-lines file per study and preset)."""
    return course_data(folder) / "results"


def samples_dir(folder: str | os.PathLike | None = None) -> Path:
    """``data/samples``: the small test-image sample that runs notebook 6 without the data set."""
    return course_data(folder) / "samples"
