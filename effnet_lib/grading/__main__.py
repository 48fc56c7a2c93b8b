"""``python -m effnet_lib.grading release|grade``: the instructor's two commands.

    python -m effnet_lib.grading release                # solutions/ -> exercises/
    python -m effnet_lib.grading release --check        # exit 1 if exercises/ is out of date
    python -m effnet_lib.grading grade submitted/       # grade every notebook under a folder
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .cells import GradingError
from .grade import grade
from .release import check_release, release
from .report import check_report_folder, summary, write_report


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m effnet_lib.grading", description=__doc__.splitlines()[0])
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
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "release":
            if args.check:
                problems = check_release(args.source, args.dest)
                for problem in problems:
                    print(problem)
                if problems:
                    print(f"{args.dest} is out of date: run `python -m effnet_lib.grading release`")
                    return 1
                print(f"{args.dest} matches a fresh release of {args.source}")
                return 0
            changed = release(args.source, args.dest)
            for path in changed:
                print(f"wrote {path}")
            print(f"{args.dest} is up to date ({len(changed)} file(s) changed)")
            return 0

        check_report_folder(args.report, args.paths)
        results = grade(args.paths, args.source, args.timeout, student=args.student, jobs=args.jobs,
                        progress=lambda line: print(line, flush=True))
        target = write_report(results, args.report, submissions=args.paths)
        print()
        print(summary(results))
        if target != args.report:
            print(f"{args.report} already holds a report; this one was written to {target} instead")
        print(f"report: {target}/scores.json, scores.csv, summary.txt, feedback/")
        return 0
    except GradingError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
