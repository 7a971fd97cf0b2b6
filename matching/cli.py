"""Command line: python -m matching {solve,check,generate}."""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from .errors import ProblemError
from .model import MODES, STRICT
from .parse import load_problem
from .result import dumps
from .solver import DEFAULT_TIME_LIMIT_S, solve


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m matching", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    s = sub.add_parser("solve", help="solve a problem file, print the result JSON")
    s.add_argument("problem")
    s.add_argument("--time-limit", type=float, default=DEFAULT_TIME_LIMIT_S, metavar="S")
    s.add_argument("-o", "--output", help="write the result here instead of stdout")
    c = sub.add_parser("check", help="verify a result against its problem (exit 1 on failure)")
    c.add_argument("problem")
    c.add_argument("result")
    c.add_argument(
        "--exact-limit",
        type=int,
        default=20000,
        metavar="PAIRS",
        help="prove maximality with an exact model up to this many eligible pairs",
    )
    g = sub.add_parser("generate", help="print a random Norway-shaped problem")
    g.add_argument("--gps", type=int, required=True)
    g.add_argument("--periods", type=int, required=True)
    g.add_argument("--seed", type=int, default=1)
    g.add_argument("--mode", choices=MODES, default=STRICT)
    g.add_argument("--no-capacity", action="store_true", help="list no departments")
    g.add_argument(
        "--any-trust",
        type=float,
        default=None,
        metavar="SHARE",
        help="share of GPs who accept any trust (empty trust list; default 0.1)",
    )
    g.add_argument(
        "--twins",
        type=float,
        default=0.0,
        metavar="SHARE",
        help="share of periods posted twice: same department and dates (default 0)",
    )
    g.add_argument(
        "--split",
        type=float,
        default=0.0,
        metavar="SHARE",
        help="share of GPs whose window allows two blocks (split_allowed; default 0)",
    )
    g.add_argument(
        "--combined",
        type=float,
        default=0.0,
        metavar="SHARE",
        help="share of periods over two departments of their trust (default 0)",
    )
    return parser


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while this process solves: a solve creates
    millions of small objects (pairs, reasons) and no cycles, and the collector's passes over
    the growing heap cost about a second at 20k x 8k (docs/matching.md). The switch is
    process-wide, so the library leaves it alone (a web request must not switch it off for
    the whole server); the command line is a process of its own. Restored on the way out."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@contextmanager
def _stdout_to_stderr() -> Iterator[None]:
    """While solving, whatever writes to the process's standard output at the C level goes to
    standard error (HiGHS prints some diagnostics there unasked), so that standard output
    holds the result JSON alone."""
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    try:
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "solve":
            problem = load_problem(args.problem)
            with _stdout_to_stderr(), _collector_paused():
                result = solve(problem, args.time_limit)
            text = dumps(result)
            if args.output:
                Path(args.output).write_text(text, encoding="utf-8")
            else:
                sys.stdout.write(text)
            return 0
        if args.command == "check":
            from .checker import check_files

            report = check_files(args.problem, args.result, exact_limit=args.exact_limit)
            sys.stdout.write(report.text() + "\n")
            return 0 if report.ok else 1
        from .generator import generate

        doc = generate(
            args.gps,
            args.periods,
            args.seed,
            args.mode,
            not args.no_capacity,
            any_trust=args.any_trust,
            twins=args.twins,
            split=args.split,
            combined=args.combined,
        )
        sys.stdout.write(json.dumps(doc, indent=1) + "\n")
        return 0
    except ProblemError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 2
    except BrokenPipeError:
        return 1
