"""Binder and Colab open the course from its GitHub repository (issue 6).

The repository is named once, in pyproject.toml (`[project.urls] Repository`). Every badge and
install cell must use that name, so moving the course to another owner means changing that one
line and the places this test then lists. Each notebook carries a Colab badge that opens itself,
and its first code cell installs the course only on Colab; notebook 0 and the README carry the
Binder badge that opens JupyterLab on notebook 0. Nothing Colab lacks (ipympl's widget backend,
custom widget managers) may be required.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat
import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
START = "notebooks/00_start_here.ipynb"
# owner/name as it appears in a badge's link or in an install cell
MENTIONS = re.compile(r"(?:colab\.research\.google\.com/github|mybinder\.org/v2/gh)/([\w.-]+/[\w.-]+)"
                      r"|REPOSITORY\s*=\s*[\"']([\w.-]+/[\w.-]+)[\"']")


def repository() -> str:
    urls = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"].get("urls", {})
    match = re.fullmatch(r"https://github\.com/([\w.-]+/[\w.-]+?)/?", urls.get("Repository", ""))
    if not match:
        pytest.fail("pyproject.toml must name the course's GitHub repository, which the badges use: "
                    "[project.urls] Repository = \"https://github.com/OWNER/NAME\"")
    return match.group(1)


def colab_link(notebook: str) -> str:
    return f"https://colab.research.google.com/github/{repository()}/blob/main/{notebook}"


def binder_link() -> str:
    return f"https://mybinder.org/v2/gh/{repository()}/HEAD?urlpath=lab/tree/{START}"


def _notebooks(*folders: str) -> list[Path]:
    return sorted(p for folder in folders for p in (ROOT / folder).glob("*.ipynb"))


def _id(path: Path) -> str:
    return str(path.relative_to(ROOT))


def _cells(path: Path, kind: str) -> list[str]:
    return [cell.source for cell in nbformat.read(path, as_version=4).cells if cell.cell_type == kind]


@pytest.mark.parametrize("path", _notebooks("notebooks"), ids=_id)
def test_notebook_opens_itself_on_colab(path):
    markdown = _cells(path, "markdown")
    assert markdown and colab_link(_id(path)) in markdown[0], (
        f"{_id(path)}: its first markdown cell needs the badge "
        f"[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]({colab_link(_id(path))})")


@pytest.mark.parametrize("path", _notebooks("notebooks"), ids=_id)
def test_first_code_cell_installs_the_course_only_on_colab(path):
    code = _cells(path, "code")
    assert code and "google.colab" in code[0] and "pip" in code[0], (
        f"{_id(path)}: its first code cell should install the course when (and only when) it runs on "
        f"Colab, as {START}'s does")


@pytest.mark.parametrize("path", _notebooks("notebooks"), ids=_id)
def test_colab_installs_only_what_the_notebooks_import(path):
    """The `notebooks` extra, Colab's own PyTorch kept: no JupyterLab, no nbgrader, no second torch."""
    code = _cells(path, "code")[0]
    installs = re.findall(r"\[([A-Za-z][\w,-]*)\][\"']", code)     # pip's extras: ...[notebooks]"
    assert installs == ["notebooks"], f"{_id(path)}: the Colab cell should install .[notebooks], it names {installs}"
    assert not re.search(r"[\"'](torch|torchvision)[\"'=<>]", code), f"{_id(path)}: the Colab cell must keep Colab's PyTorch"


@pytest.mark.parametrize("path", _notebooks("notebooks", "solutions", "exercises"), ids=_id)
def test_notebook_needs_nothing_colab_lacks(path):
    code = "\n".join(_cells(path, "code"))
    for needed in ("ipympl", "%matplotlib widget", "%matplotlib ipympl", "enable_custom_widget_manager"):
        assert needed not in code, f"{_id(path)} uses {needed!r}, which Colab does not offer by default"


def test_start_notebook_and_readme_open_binder_on_the_start_notebook():
    assert binder_link() in _cells(ROOT / START, "markdown")[0]
    readme = ROOT / "README.md"
    if readme.exists():
        assert binder_link() in readme.read_text(), f"README.md needs the Binder badge linking to {binder_link()}"


def test_every_badge_and_install_cell_names_the_same_repository():
    texts = {_id(p): "\n".join(c.source for c in nbformat.read(p, as_version=4).cells)
             for p in _notebooks("notebooks", "solutions", "exercises")}
    if (ROOT / "README.md").exists():
        texts["README.md"] = (ROOT / "README.md").read_text()
    wrong = {}
    for name, text in texts.items():
        named = {a or b for a, b in MENTIONS.findall(text)}
        if named - {repository()}:
            wrong[name] = sorted(named - {repository()})
    assert not wrong, f"these name another repository than pyproject.toml's {repository()}: {wrong}"
