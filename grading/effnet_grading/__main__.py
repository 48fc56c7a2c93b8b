"""``python -m effnet_grading release|grade``: the instructor's two commands.

    python -m effnet_grading release                # solutions/ -> exercises/
    python -m effnet_grading release --check        # exit 1 if exercises/ is out of date
    python -m effnet_grading grade submitted/       # grade every notebook under a folder

Grading runs each student's kernel in a bubblewrap sandbox (Linux) and refuses to run without
one unless told ``--unsafe-no-sandbox``. Exit status: 0 when every notebook was graded, 1 when a
release is stale, 2 when the command refused to start, 3 when a notebook could not be scored
because of a grader set-up problem (the report says which; nothing was scored zero for it).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from .cells import GradingError
from .grade import grade_batch
from .release import check_release, release
from .report import check_report_folder, summary, write_report
from .sandbox import GiB, Isolation, Limits, check_hidden

UNSAFE_WARNING = (
    "WARNING: --unsafe-no-sandbox: students' code runs with your permissions. It can read the "
    "solutions and other submissions, change files, reach the network and stop the grader. Use it "
    "only for notebooks you trust."
)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m effnet_grading", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)

    make = commands.add_parser("release", help="write student versions of the solutions")
    make.add_argument("--source", type=Path, default=Path("solutions"), help="solution notebooks (default: solutions)")
    make.add_argument("--dest", type=Path, default=Path("exercises"), help="where the student versions go (default: exercises)")
    make.add_argument("--check", action="store_true", help="write nothing; exit 1 if --dest differs from a fresh release")

    mark = commands.add_parser(
        "grade",
        help="grade submitted notebooks against the solutions' tests",
        description="A notebook's student is the first folder below a PATH (submitted/alice/...), "
        "or the folder holding it when it sits directly in PATH or is named as a file.",
    )
    mark.add_argument("paths", nargs="+", type=Path, help="notebooks, or folders of notebooks (one sub-folder per student)")
    mark.add_argument("--source", type=Path, default=Path("solutions"), help="solution notebooks (default: solutions)")
    mark.add_argument("--report", type=Path, default=Path("grading-report"), help="report folder; never overwritten (default: grading-report)")
    mark.add_argument("--student", help="name every notebook's student (default: the folder, see below)")
    mark.add_argument("--jobs", type=int, default=1, help="notebooks graded at the same time (default: 1)")
    mark.add_argument("--timeout", type=float, default=60.0, help="time limit per cell in seconds (default: 60)")
    mark.add_argument("--exercise", action="append", metavar="NAME",
                      help="grade only this solution's notebooks (repeatable; default: all)")
    mark.add_argument("--memory", type=float, default=Limits.memory / GiB,
                      help="memory per kernel in GiB (default: %(default)g)")
    mark.add_argument("--max-processes", type=int, default=Limits.processes,
                      help="processes and threads per kernel (default: %(default)d)")
    mark.add_argument("--expose", type=Path, action="append", default=[], metavar="PATH",
                      help="a folder kernels may read besides the course's own (repeatable), e.g. datasets")
    mark.add_argument("--secret-file", type=Path, metavar="PATH",
                      help="a file holding your grading secret; hidden tests read it as $EFFNET_GRADING_SECRET")
    mark.add_argument("--unsafe-no-sandbox", action="store_true",
                      help="run students' code without the sandbox, with your permissions (see README)")
    return parser


def _isolation(args) -> Isolation:
    if not args.memory > 0:
        raise GradingError(f"--memory must be a positive number of GiB, got {args.memory:g}")
    if args.max_processes < 1:
        raise GradingError(f"--max-processes must be 1 or more, got {args.max_processes}")
    for path in args.expose:
        if not path.is_dir():
            raise GradingError(f"--expose {path}: no such folder")
    secret = ""
    if args.secret_file is not None:
        try:
            secret = args.secret_file.read_text(encoding="utf-8").strip()
        except OSError as error:
            raise GradingError(f"--secret-file {args.secret_file} could not be read: {error.strerror}") from error
        if not secret:
            raise GradingError(f"--secret-file {args.secret_file} is empty; put the secret on its first line")
    # One math thread per core a job can have: two kernels with two threads each on two cores run
    # several times slower than with one each.
    threads = max(1, (os.cpu_count() or 1) // max(1, args.jobs))
    limits = Limits(memory=int(args.memory * GiB), processes=args.max_processes, threads=threads)
    return Isolation(confine=not args.unsafe_no_sandbox, limits=limits, expose=tuple(args.expose), secret=secret)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "release":
            if args.check:
                problems = check_release(args.source, args.dest)
                for problem in problems:
                    print(problem)
                if problems:
                    print(f"{args.dest} is out of date: run `python -m effnet_grading release`")
                    return 1
                print(f"{args.dest} matches a fresh release of {args.source}")
                return 0
            changed = release(args.source, args.dest)
            for path in changed:
                print(f"wrote {path}")
            print(f"{args.dest} is up to date ({len(changed)} file(s) changed)")
            return 0

        for path in args.paths:
            if not path.exists():
                raise GradingError(f"submission path {path} does not exist")
        isolation = _isolation(args)
        check_report_folder(args.report, args.paths)
        if isolation.confine:
            check_hidden([args.report], isolation.expose)
        else:
            print(UNSAFE_WARNING, file=sys.stderr)
        batch = grade_batch(args.paths, args.source, args.timeout, student=args.student, jobs=args.jobs,
                            isolation=isolation, exercises=args.exercise,
                            progress=lambda line: print(line, flush=True))
        target = write_report(batch.results, args.report, submissions=args.paths, skipped=batch.skipped,
                              isolation=isolation)
        print()
        print(summary(batch.results, batch.skipped, isolation))
        if target != args.report:
            print(f"{args.report} already holds a report; this one was written to {target} instead")
        print(f"report: {target}/scores.json, scores.csv, summary.txt, feedback/")
        if not isolation.confine:
            print(UNSAFE_WARNING, file=sys.stderr)
        unscored = [r for r in batch.results if r.setup_problem]
        if unscored:
            print(f"error: {len(unscored)} notebook(s) got no score because of a grader set-up problem "
                  f"(see {target}/summary.txt); fix it and grade them again", file=sys.stderr)
            return 3
        return 0
    except GradingError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
