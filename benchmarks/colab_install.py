"""How long Colab's install cell takes, measured in a Colab-like environment that already holds PyTorch.

Every notebook's first code cell, on Colab only, clones the course and runs
`pip install -q -e CHECKOUT[notebooks]`: what the notebooks import at run time, keeping Colab's own
PyTorch (no JupyterLab, no nbgrader). This rebuilds that situation here and times it:

1. a fresh virtual environment whose only packages are this machine's torch and torchvision (and
   what they need), or with `--base colab` also the other packages Colab ships (SciPy, matplotlib,
   scikit-image, OpenCV, ...); reached through a .pth file, so nothing is copied and pip cannot
   uninstall them (they live outside the environment, like a system's packages);
2. a clone of the repository's last commit, as Colab's cell makes;
3. `pip install -q --no-cache-dir -e CLONE[notebooks]`, timed: everything else is downloaded from PyPI;
4. the checks: no second torch (nor torchvision, triton, nvidia-*) inside the environment; no
   JupyterLab or nbgrader; and every import statement of the clone's notebooks runs.

    python benchmarks/colab_install.py                  # torch only: the worst case; exit 1 if a check fails
    python benchmarks/colab_install.py --base colab     # what Colab ships, too: closer to Colab itself
    python benchmarks/colab_install.py --limit 60 --json colab.json --keep /tmp/colab-like

The time depends on this machine's network and load (printed with it); Colab's own network is faster.
Needs network access to PyPI and a Python with torch installed (the course's .venv).
"""
from __future__ import annotations

import argparse
import ast
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path

import nbformat
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
# What the environment holds before the install. "torch": only PyTorch, the worst case. "colab": also
# what Colab's default runtime ships besides (its ipywidgets is 7.x, which the course replaces by 8.x,
# so it is left out; the versions linked are this machine's, not Colab's).
BASES = {
    "torch": ("torch", "torchvision"),
    "colab": ("torch", "torchvision", "numpy", "scipy", "matplotlib", "scikit-learn", "scikit-image",
              "opencv-python-headless", "pillow", "tqdm", "ipython", "packaging", "imageio", "tifffile"),
}
# What must not be installed a second time, nor at all on Colab.
NOT_AGAIN = re.compile(r"^(torch|torchvision|triton|nvidia[-_].*)$")
NOT_ON_COLAB = ("jupyterlab", "nbgrader", "notebook", "jupytext")


def closure(names: tuple[str, ...]) -> list[metadata.Distribution]:
    """The installed distributions `names` need, following requirements (and the extras they ask for)."""
    found, seen, todo = {}, set(), [(name, "") for name in names]
    while todo:
        name, extra = todo.pop()
        name = canonicalize_name(name)
        if (name, extra) in seen:
            continue
        seen.add((name, extra))
        try:
            dist = found.get(name) or metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue                          # an optional requirement this platform does not install
        found[name] = dist
        for line in dist.requires or []:
            requirement = Requirement(line)
            if requirement.marker is None or requirement.marker.evaluate({"extra": extra}):
                todo += [(requirement.name, wanted) for wanted in requirement.extras or {""}]
    return list(found.values())


def colab_like_base(folder: Path, packages: tuple[str, ...]) -> Path:
    """A folder of links to `packages` and what they need: the 'system' packages of the environment."""
    base = folder / "colab-system-packages"
    base.mkdir(parents=True)
    for dist in closure(packages):
        site = Path(dist.locate_file(""))
        tops = {Path(str(f)).parts[0] for f in dist.files or [] if not str(f).startswith("..")}
        for top in tops:
            source = site / top
            if source.exists() and not (base / top).exists() and top != "__pycache__":
                (base / top).symlink_to(source)
    return base


def run(command: list[str], **options) -> subprocess.CompletedProcess:
    return subprocess.run(command, check=True, text=True, capture_output=True, **options)


def notebook_imports(folder: Path) -> list[str]:
    """Every import statement in the code cells of the notebooks in `folder` (Colab's own modules left out)."""
    statements = set()
    for path in sorted(folder.glob("*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type != "code":
                continue
            source = "\n".join(line for line in cell.source.splitlines() if not line.lstrip().startswith(("%", "!")))
            for node in ast.walk(ast.parse(source)):
                if isinstance(node, (ast.Import, ast.ImportFrom)):
                    module = node.module if isinstance(node, ast.ImportFrom) else node.names[0].name
                    if not (module or "").startswith("google"):
                        statements.add(ast.unparse(node))
    return sorted(statements)


IMPORT_CHECK = """
import json, sys
failed = {}
for statement in json.loads(sys.argv[1]):
    try:
        exec(statement, {})
    except Exception as error:
        failed[statement] = f"{type(error).__name__}: {error}"
import torch
print(json.dumps({"failed": failed, "torch": torch.__file__}))
"""


def measure(folder: Path, base_name: str = "torch") -> dict:
    base = colab_like_base(folder, BASES[base_name])
    venv = folder / "venv"
    run([getattr(sys, "_base_executable", sys.executable), "-m", "venv", str(venv)])
    python = venv / "bin" / "python"
    site = Path(run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).stdout.strip())
    (site / "colab_system_packages.pth").write_text(f"{base}\n")
    torch_before = run([str(python), "-c", "import torch; print(torch.__version__)"]).stdout.strip()

    clone = folder / "efficientnet-explorable"
    run(["git", "clone", "--quiet", "--depth", "1", f"file://{ROOT}", str(clone)])
    start = time.perf_counter()
    install = subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-cache-dir", "--disable-pip-version-check",
                              "-e", f"{clone}[notebooks]"], text=True, capture_output=True)
    seconds = time.perf_counter() - start
    if install.returncode:
        raise SystemExit(f"pip install failed:\n{install.stdout}\n{install.stderr}")

    installed = sorted(canonicalize_name(p.name.split("-")[0]) for p in site.glob("*.dist-info"))
    again = [name for name in installed if NOT_AGAIN.match(name)]
    unwanted = [name for name in installed if name in NOT_ON_COLAB]
    imports = notebook_imports(clone / "notebooks")
    checked = json.loads(run([str(python), "-c", IMPORT_CHECK, json.dumps(imports)], cwd=clone / "notebooks").stdout)
    return {"base": base_name, "base_packages": list(BASES[base_name]), "seconds": round(seconds, 1),
            "load_average": [round(v, 1) for v in os.getloadavg()], "torch": torch_before, "torch_from": checked["torch"],
            "installed": len(installed), "second_copies": again, "not_for_colab": unwanted,
            "import_statements": len(imports), "failed_imports": checked["failed"]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--limit", type=float, default=60, help="seconds the install may take (default 60)")
    parser.add_argument("--json", type=Path, help="also write the result to this JSON file")
    parser.add_argument("--keep", type=Path, help="build in this (new) folder and keep it, instead of a temporary one")
    parser.add_argument("--base", choices=sorted(BASES), default="torch",
                        help="what is installed before: torch alone (default, the worst case), or also what Colab ships")
    args = parser.parse_args(argv)
    if args.keep:
        args.keep.mkdir(parents=True)
        result = measure(args.keep, args.base)
    else:
        with tempfile.TemporaryDirectory(prefix="colab-like-") as folder:
            result = measure(Path(folder), args.base)
    print(f"pip install -e .[notebooks] over {', '.join(result['base_packages'])} (torch {result['torch']}): "
          f"{result['seconds']:.1f} s (limit {args.limit:g} s; load average {result['load_average'][0]}), "
          f"{result['installed']} packages installed")
    print(f"  torch still from: {result['torch_from']}")
    print(f"  second copies of torch & co: {result['second_copies'] or 'none'}; "
          f"JupyterLab/nbgrader & co: {result['not_for_colab'] or 'none'}")
    print(f"  the notebooks' {result['import_statements']} import statements: "
          f"{'all run' if not result['failed_imports'] else result['failed_imports']}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    ok = (result["seconds"] <= args.limit and not result["second_copies"] and not result["not_for_colab"]
          and not result["failed_imports"] and "colab-system-packages" in result["torch_from"])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
