"""The places that name the course's dependencies must agree with each other.

pyproject.toml is the source: `pip install -e .[course]` installs what the notebooks need. The conda
file (environment.yml), Binder's files (binder/) and the Makefile repeat a few of those names,
pinned or with a CPU wheel index; these tests fail as soon as one of them drifts.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - the course supports 3.10, whose tomllib is the tomli package
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
CPU_INDEX = "https://download.pytorch.org/whl/cpu"
LOCAL_COURSE = re.compile(r"^(-e\s+)?\.\[course\]$")


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def _extra(name: str) -> list[Requirement]:
    """An extra's requirements, with the extras it names of this project itself (effnet-lib[...]) expanded."""
    project = _pyproject()["project"]
    found = []
    for requirement in map(Requirement, project["optional-dependencies"][name]):
        if canonicalize_name(requirement.name) == canonicalize_name(project["name"]):
            for inner in sorted(requirement.extras):
                found += _extra(inner)
        else:
            found.append(requirement)
    return found


def _pyproject_requirements() -> dict[str, Requirement]:
    """The library's and the course extra's requirements, by canonical name."""
    lines = list(map(Requirement, _pyproject()["project"]["dependencies"])) + _extra("course")
    return {canonicalize_name(r.name): r for r in lines}


def _conda_file(path: Path) -> tuple[list[str], list[str]]:
    """(conda packages, pip lines) of an environment file."""
    data = yaml.safe_load(path.read_text())
    conda, pip = [], []
    for entry in data["dependencies"]:
        if isinstance(entry, dict):
            pip += [str(line).strip() for line in entry.get("pip", [])]
        else:
            conda.append(str(entry).strip())
    return conda, pip


def _pip_requirements(pip_lines: list[str]) -> dict[str, Requirement]:
    """The named requirements among pip lines (options and the local install left out)."""
    named = [line for line in pip_lines if not line.startswith("-") and not LOCAL_COURSE.match(line)]
    return {canonicalize_name(r.name): r for r in map(Requirement, named)}


def _makefile_variable(name: str) -> str:
    match = re.search(rf"^{name}\s*[:?]?=\s*(.*)$", (ROOT / "Makefile").read_text(), re.MULTILINE)
    assert match, f"Makefile defines no {name}"
    return match.group(1).strip()


def _pins(requirements: dict[str, Requirement]) -> dict[str, str]:
    pins = {}
    for name, requirement in requirements.items():
        exact = [s.version for s in requirement.specifier if s.operator == "=="]
        if exact:
            pins[name] = exact[0]
    return pins


def test_binder_environment_is_the_conda_environment_without_the_local_install():
    conda, pip = _conda_file(ROOT / "environment.yml")
    binder_conda, binder_pip = _conda_file(ROOT / "binder" / "environment.yml")
    assert binder_conda == conda
    assert binder_pip == [line for line in pip if not LOCAL_COURSE.match(line)], (
        "binder/environment.yml must list what environment.yml lists, less `-e .[course]`")


def test_the_course_is_installed_from_the_repository_with_its_course_extra():
    _, pip = _conda_file(ROOT / "environment.yml")
    assert any(LOCAL_COURSE.match(line) for line in pip), "environment.yml must install `-e .[course]`"
    post_build = (ROOT / "binder" / "postBuild").read_text()
    assert re.search(r"pip install .*-e \"?\.\[course\]\"?", post_build), (
        "binder/postBuild must install the course from the repository with `-e .[course]`")
    assert (ROOT / "binder" / "postBuild").stat().st_mode & 0o111, "binder/postBuild must be executable"


def test_pytorch_comes_from_the_cpu_wheel_index():
    for path in (ROOT / "environment.yml", ROOT / "binder" / "environment.yml"):
        _, pip = _conda_file(path)
        assert f"--extra-index-url {CPU_INDEX}" in pip, f"{path.name} must take PyTorch's CPU wheels"


@pytest.mark.parametrize("path", ["environment.yml", "binder/environment.yml"])
def test_every_package_the_environment_names_is_one_pyproject_requires(path):
    required = _pyproject_requirements()
    _, pip = _conda_file(ROOT / path)
    for name, requirement in _pip_requirements(pip).items():
        assert name in required, f"{path} installs {name}, which pyproject.toml does not require"
        wanted = required[name].specifier
        for pin in (s.version for s in requirement.specifier if s.operator == "=="):
            assert wanted.contains(pin, prereleases=True), (
                f"{path} pins {name}=={pin}, outside pyproject.toml's {name}{wanted}")
        ranges = SpecifierSet(",".join(str(s) for s in requirement.specifier if s.operator != "=="))
        if len(ranges):
            assert ranges == wanted, f"{path} asks {name}{ranges}, pyproject.toml {name}{wanted}"


def test_the_makefile_installs_the_same_pytorch_as_the_environment():
    makefile = {canonicalize_name(r.name): r for r in map(Requirement, _makefile_variable("TORCH_PACKAGES").split())}
    _, pip = _conda_file(ROOT / "environment.yml")
    assert _pins(makefile) == _pins({k: v for k, v in _pip_requirements(pip).items() if k in makefile})
    required = _pyproject_requirements()
    for name, version in _pins(makefile).items():
        assert required[name].specifier.contains(version), (
            f"Makefile pins {name}=={version}, outside pyproject.toml's {required[name]}")


def test_the_environment_python_satisfies_requires_python():
    conda, _ = _conda_file(ROOT / "environment.yml")
    pythons = [entry.split("=", 1)[1] for entry in conda if entry.startswith("python=")]
    assert pythons, "environment.yml must name a python version"
    assert SpecifierSet(_pyproject()["project"]["requires-python"]).contains(pythons[0])


def test_the_notebooks_widgets_and_pairing_are_required():
    """Issue 6: ipywidgets 8 for the explorers, jupytext for the notebook pairs."""
    required = _pyproject_requirements()
    assert required["ipywidgets"].specifier.contains("8.1.0")
    assert not required["ipywidgets"].specifier.contains("7.8.0")
    assert not required["ipywidgets"].specifier.contains("9.0.0")
    assert "jupytext" in required


def test_binder_and_the_makefile_install_the_same_debian_packages():
    apt = [line.strip() for line in (ROOT / "binder" / "apt.txt").read_text().splitlines()
           if line.strip() and not line.startswith("#")]
    assert "dataset-fashion-mnist" in apt
    assert sorted(apt) == sorted(_makefile_variable("COURSE_DEBS").split())


def test_the_notebooks_extra_holds_no_lab_grading_or_pytorch():
    """What Colab installs: the notebooks' imports only (Colab has PyTorch and its own notebook server)."""
    names = {canonicalize_name(r.name) for r in _extra("notebooks")}
    assert not names & {"torch", "torchvision", "jupyterlab", "jupytext", "notebook", "nbgrader", "nbclient",
                        "pytest", "playwright"}, sorted(names)
    course = {canonicalize_name(r.name) for r in _extra("course")}
    assert names <= course and "jupyterlab" in course and "nbgrader" not in course
