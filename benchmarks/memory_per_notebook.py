"""Peak memory of each notebook, run as a student runs it on a machine without a GPU.

Binder gives a course about 2 GB. This runs every notebook (or those named) top to bottom in a
fresh kernel with the GPU hidden (CUDA_VISIBLE_DEVICES=""), then asks the kernel for its own peak
resident memory (getrusage's ru_maxrss), and prints one row per notebook. (The peak of the kernel's
child processes is not added: a forked child counts its parent's pages at the fork, so it would
count the same memory twice. The library keeps data in the kernel and starts no loader workers.)

    python benchmarks/memory_per_notebook.py                 # full mode, what a student runs
    python benchmarks/memory_per_notebook.py --smoke         # EFFNET_SMOKE=1, as the tests run
    python benchmarks/memory_per_notebook.py notebooks/03_compound_scaling.ipynb --json peaks.json
    python benchmarks/memory_per_notebook.py notebooks/py/03_compound_scaling.py   # a twin: its notebook runs

The README's memory table (peak and run time per notebook) is this script's output in full mode.
A jupytext twin (notebooks/py/NAME.py) stands for its paired notebook, which is the one run, in
its own folder, as JupyterLab would run it.

The JupyterLab server itself takes another 100 to 200 MB on Binder, so a notebook should peak
well under the budget. The exit code is 1 when a notebook goes over --budget-mib.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
MARKER = "EFFNET-PEAK-MEMORY:"

# Appended to each notebook: the kernel reports its own peak, in KiB on Linux, in bytes on macOS.
PEAK_CELL = f"""
import json, resource, sys
_unit = 1 if sys.platform == "darwin" else 1024
print({MARKER!r}, json.dumps({{"kernel": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * _unit}}))
"""


def notebook_of(path: Path) -> Path:
    """The notebook to run for `path`: itself, or for a jupytext twin the .ipynb it is paired with."""
    if path.suffix == ".ipynb":
        return path
    import jupytext
    from jupytext.paired_paths import paired_paths

    formats = jupytext.read(path).metadata.get("jupytext", {}).get("formats", "")
    mine = [f for f in formats.split(",") if f.split(":")[0].endswith(path.suffix[1:])]
    for paired, fmt in paired_paths(str(path), mine[0], formats) if mine else []:
        if fmt["extension"] == ".ipynb":
            return Path(paired)
    raise ValueError(f"{path} is not paired with a notebook (its jupytext formats are {formats!r}).")


def peak_memory(path: Path, smoke: bool, cell_timeout: int) -> dict:
    """Run one notebook in a fresh CPU-only kernel; return its seconds and peak bytes."""
    notebook = nbformat.read(path, as_version=4)
    notebook.cells.append(nbformat.v4.new_code_cell(PEAK_CELL))
    saved = {name: os.environ.get(name) for name in ("CUDA_VISIBLE_DEVICES", "EFFNET_SMOKE", "MPLBACKEND")}
    os.environ["CUDA_VISIBLE_DEVICES"] = ""          # CPU mode, as on Binder
    os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    if smoke:
        os.environ["EFFNET_SMOKE"] = "1"
    else:
        os.environ.pop("EFFNET_SMOKE", None)
    try:
        start = time.perf_counter()
        NotebookClient(notebook, timeout=cell_timeout, kernel_name="python3",
                       resources={"metadata": {"path": str(path.parent)}}).execute()
        seconds = time.perf_counter() - start
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    for output in notebook.cells[-1].get("outputs", []):
        for line in output.get("text", "").splitlines():
            if line.startswith(MARKER):
                return {"notebook": str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path),
                        "mode": "smoke" if smoke else "full", "seconds": round(seconds, 1),
                        **json.loads(line[len(MARKER):])}
    raise RuntimeError(f"{path}: the kernel did not report its peak memory")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path,
                        help="notebooks to measure (default: every notebook in notebooks/)")
    parser.add_argument("--smoke", action="store_true", help="run with EFFNET_SMOKE=1 (quick, as in the tests)")
    parser.add_argument("--budget-mib", type=float, default=2048, help="memory budget per notebook (Binder: 2048)")
    parser.add_argument("--cell-timeout", type=int, default=3600, help="seconds a single cell may take")
    parser.add_argument("--json", type=Path, help="also write the rows to this JSON file")
    args = parser.parse_args(argv)

    paths = [p.resolve() for p in args.notebooks] or sorted((ROOT / "notebooks").glob("*.ipynb"))
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        parser.error(f"no such notebook: {', '.join(missing)}")
    try:
        paths = [notebook_of(p) for p in paths]
    except ValueError as error:
        parser.error(str(error))

    mib = 2 ** 20
    print(f"{'notebook':44} {'mode':5} {'seconds':>8} {'peak MiB':>9}  budget {args.budget_mib:.0f} MiB")
    rows, over = [], False
    for path in paths:
        row = peak_memory(path, args.smoke, args.cell_timeout)
        fits = row["kernel"] <= args.budget_mib * mib
        over |= not fits
        rows.append(row)
        print(f"{row['notebook']:44} {row['mode']:5} {row['seconds']:8.1f} {row['kernel'] / mib:9.0f}  "
              f"{'ok' if fits else 'OVER'}", flush=True)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n")
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
