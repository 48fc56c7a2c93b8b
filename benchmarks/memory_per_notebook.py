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
    python benchmarks/memory_per_notebook.py --record --stamp    # refresh the course's stated times
    python benchmarks/memory_per_notebook.py --stamp             # only rewrite the lines from the file

The README's memory table (peak and run time per notebook) is this script's output in full mode.
A jupytext twin (notebooks/py/NAME.py) stands for its paired notebook, which is the one run, in
its own folder, as JupyterLab would run it.

The course's stated run times come from here too. While a notebook runs, the machine's 1-minute
load average is sampled every few seconds; `--record` writes each full-mode run (seconds, peak,
cores, mean load) into benchmarks/notebook_times.json, replacing that notebook's earlier run on a
machine as idle or as busy (`effnet_lib.face.run_times`: busy from one runnable job per core up).
A run made under `nice` is recorded as such and said so (other jobs had the cores first). `--stamp`
then writes each measured notebook's "**CPU time:**" line under its title, in the .ipynb
(outputs untouched) and its twin. Run it once on an idle machine and once on a busy one (`--busy N`
keeps N spinning processes running beside the notebook, for a reproducible busy machine).

The JupyterLab server itself takes another 100 to 200 MB on Binder, so a notebook should peak
well under the budget. The exit code is 1 when a notebook goes over --budget-mib.
"""
from __future__ import annotations

import argparse
import datetime
import json
import multiprocessing
import os
import platform
import subprocess
import sys
import threading
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
MARKER = "EFFNET-PEAK-MEMORY:"
TIMES = ROOT / "benchmarks" / "notebook_times.json"     # what --record writes and the notebooks state
LOAD_EVERY = 5.0                                          # seconds between two samples of the load average

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
    loads, done = [os.getloadavg()[0]], threading.Event()

    def sample():
        while not done.wait(LOAD_EVERY):
            loads.append(os.getloadavg()[0])

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        start = time.perf_counter()
        NotebookClient(notebook, timeout=cell_timeout, kernel_name="python3",
                       resources={"metadata": {"path": str(path.parent)}}).execute()
        seconds = time.perf_counter() - start
    finally:
        done.set()
        sampler.join()
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
                        "load": round(sum(loads) / len(loads), 2), **json.loads(line[len(MARKER):])}
    raise RuntimeError(f"{path}: the kernel did not report its peak memory")


def machine() -> str:
    """The processor's name and cores, for the record (Linux names it in /proc/cpuinfo)."""
    name = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        name = next((line.split(":", 1)[1].strip() for line in cpuinfo.read_text().splitlines()
                     if line.startswith("model name")), name)
    return f"{name} ({os.cpu_count()} cores)"


def record(rows: list[dict], path: Path) -> list:
    """Write the full-mode rows into the run-time file, each replacing its notebook's earlier idle or busy run."""
    from effnet_lib.face.run_times import Run, merged

    old = [Run(**r) for r in json.loads(path.read_text())["runs"]] if path.is_file() else []
    today, cores, where = datetime.date.today().isoformat(), os.cpu_count() or 1, machine()
    niceness = os.nice(0) if hasattr(os, "nice") else 0       # a niced run is slower than a student's
    new = [Run(Path(r["notebook"]).stem, r["seconds"], round(r["kernel"] / 2 ** 20), cores, r["load"], today, where,
               niceness) for r in rows if r["mode"] == "full"]
    runs = merged(old, new)
    path.write_text(json.dumps({"what": "notebooks run top to bottom in CPU mode by benchmarks/memory_per_notebook.py "
                                        "--record: the latest run of each on an idle and on a busy machine",
                                "runs": [r._asdict() for r in runs]}, indent=1) + "\n")
    return new


def stamp(notebook: Path, line: str) -> None:
    """Put `line` under the notebook's title (replacing an earlier one), then bring its jupytext twin along."""
    import nbformat

    from effnet_lib.face.run_times import STATEMENT_PREFIX

    nb = nbformat.read(notebook, as_version=4)
    first = next(cell for cell in nb.cells if cell.cell_type == "markdown")
    lines = first.source.splitlines()
    stated = [i for i, text in enumerate(lines) if text.startswith(STATEMENT_PREFIX)]
    if stated:
        lines[stated[0]] = line
    else:                   # after the title and its badges, a blank line either side
        at = next((i for i, text in enumerate(lines) if i and not text.startswith(("[![", "#")) and text.strip()), len(lines))
        lines[at:at] = [line, ""]
    first.source = "\n".join(lines)
    nbformat.write(nb, notebook)
    if nb.metadata.get("jupytext", {}).get("formats"):
        subprocess.run([sys.executable, "-m", "jupytext", "--sync", "--quiet", str(notebook)], check=True)


def spin(stop) -> None:
    """A busy process: count until told to stop."""
    while not stop.is_set():
        sum(range(10_000))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path,
                        help="notebooks to measure (default: every notebook in notebooks/)")
    parser.add_argument("--smoke", action="store_true", help="run with EFFNET_SMOKE=1 (quick, as in the tests)")
    parser.add_argument("--budget-mib", type=float, default=2048, help="memory budget per notebook (Binder: 2048)")
    parser.add_argument("--cell-timeout", type=int, default=3600, help="seconds a single cell may take")
    parser.add_argument("--json", type=Path, help="also write the rows to this JSON file")
    parser.add_argument("--record", nargs="?", type=Path, const=TIMES, default=None, metavar="PATH",
                        help=f"write full-mode runs into the run-time file (default {TIMES.relative_to(ROOT)})")
    parser.add_argument("--stamp", action="store_true",
                        help="write each notebook's '**CPU time:**' line from the run-time file (after --record "
                             "measured them; alone, without running anything)")
    parser.add_argument("--busy", type=int, default=0, metavar="N",
                        help="keep N spinning processes running while the notebooks run (a busy machine)")
    args = parser.parse_args(argv)
    if args.record is not None and args.smoke:
        parser.error("--record keeps what a student runs: full mode, not --smoke.")
    if args.busy < 0:
        parser.error(f"--busy takes a number of processes >= 0, got {args.busy}.")

    paths = [p.resolve() for p in args.notebooks] or sorted((ROOT / "notebooks").glob("*.ipynb"))
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        parser.error(f"no such notebook: {', '.join(missing)}")
    try:
        paths = [notebook_of(p) for p in paths]
    except ValueError as error:
        parser.error(str(error))

    if args.stamp and args.record is None:            # only the lines, from what the file holds
        return stamp_all(paths, TIMES)
    mib = 2 ** 20
    stop = multiprocessing.Event()
    spinners = [multiprocessing.Process(target=spin, args=(stop,), daemon=True) for _ in range(args.busy)]
    for spinner in spinners:
        spinner.start()
    print(f"{'notebook':44} {'mode':5} {'seconds':>8} {'peak MiB':>9} {'load':>5}  budget {args.budget_mib:.0f} MiB")
    rows, over = [], False
    try:
        for path in paths:
            row = peak_memory(path, args.smoke, args.cell_timeout)
            fits = row["kernel"] <= args.budget_mib * mib
            over |= not fits
            rows.append(row)
            print(f"{row['notebook']:44} {row['mode']:5} {row['seconds']:8.1f} {row['kernel'] / mib:9.0f} "
                  f"{row['load']:5.1f}  {'ok' if fits else 'OVER'}", flush=True)
    finally:
        stop.set()
        for spinner in spinners:
            spinner.join()
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n")
    if args.record is not None:
        measured = record(rows, args.record)
        print(f"recorded {len(measured)} run(s) in {args.record}")
        if args.stamp:
            stamp_all(paths, args.record)
    return 1 if over else 0


def stamp_all(paths: list[Path], times_file: Path) -> int:
    """Stamp each notebook the file has a run of; say which it has none of."""
    from effnet_lib.face.run_times import read_times

    times = read_times(times_file)
    for path in paths:
        if path.stem not in times:
            print(f"not stamped {path.name}: {times_file.name} has no run of it (measure it with --record)")
            continue
        stamp(path, times[path.stem].line())
        print(f"stamped {path.name}: {times[path.stem].line()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
