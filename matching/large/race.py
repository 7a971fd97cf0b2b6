"""A large strict part's count: HiGHS in a child process, a neighbourhood search beside it.

On the large parts HiGHS proves the bound long before it finds a solution that reaches it
(on the 20k x 8k benchmark part: bound at 7 s, solution at 13-15 s; docs/matching.md). The
neighbourhood search here finds such solutions in a few seconds: solve the LP relaxation, fix
every integer variable on which the LP's vertex and the best solution agree, and let HiGHS
solve the rest (RINS); with two LP vertices (HiGHS's simplex and GLOP's) in turn, until
neither improves.

Both run at once, each in a child process (`python -m matching.large.child`): MathOpt cannot
interrupt HiGHS but a process can be stopped, and HiGHS writes some diagnostics straight to
the process's standard output, where the command line writes its result (the children's goes
nowhere). A fresh interpreter rather than multiprocessing, which would import the caller's
main script again. The answer does not depend on which finishes first:

- if the search reaches the bound HiGHS proves, the answer is the search's first solution
  with that count (HiGHS is stopped then);
- otherwise HiGHS's result, once the search has run to its end.

Both are deterministic (HiGHS's single-threaded search, node limits for the search's
sub-MIPs, GLOP), so the same part gives the same answer on every run; only a time limit that
stops one of them can change that, as it can for HiGHS alone.
"""

from __future__ import annotations

import math
import os
import pickle
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from multiprocessing import connection
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, cast

from ortools.math_opt import model_pb2
from ortools.math_opt.python import mathopt

from ..mip import Count, Rows, count_model

SUBMIP_NODES = 500  # a neighbourhood's sub-MIP stops after this many nodes (deterministic)
LOG_INTERVAL_S = 0.2  # how often HiGHS reports its bound while it runs
GRACE_S = 2.0  # past the deadline, how long to wait for HiGHS's own answer


def progress_row(line: str) -> tuple[float, float, float, str] | None:
    """(time, best bound, best solution, source letter) of a row of HiGHS's progress table,
    None for any other line."""
    tokens = line.split()
    source = ""
    if tokens and len(tokens[0]) == 1 and tokens[0].isalpha():
        source, tokens = tokens[0], tokens[1:]
    if len(tokens) != 12 or not tokens[-1].endswith("s") or not tokens[3].endswith("%"):
        return None
    try:
        return float(tokens[-1][:-1]), float(tokens[4]), float(tokens[5]), source
    except ValueError:
        return None


Job = tuple[Any, ...]


def _highs_child(conn: Connection, job: Job) -> None:
    """Child process: HiGHS on the model, its bound sent whenever it improves (with the log
    lines if asked), then its answer."""
    proto, left_s, start, random_seed, send_log = job
    model = mathopt.Model.from_model_proto(model_pb2.ModelProto.FromString(proto))
    best = math.inf

    def read(lines: Sequence[str]) -> None:
        nonlocal best
        rows = [row for row in map(progress_row, lines) if row is not None]
        bound = min((row[1] for row in rows), default=math.inf)
        if bound < best or send_log:
            best = min(best, bound)
            conn.send(("log", list(lines) if send_log else [], bound))

    count = count_model(model, left_s, start, read, random_seed, log_interval_s=LOG_INTERVAL_S)
    conn.send(("done", count))


def _search_child(conn: Connection, job: Job) -> None:
    """Child process: the neighbourhood search, every improvement sent, then its end."""
    mip, maximize, start, left_s = job
    deadline = time.perf_counter() + left_s
    for values, placed in neighbourhoods(mip, maximize, start, deadline):
        conn.send(("found", values, placed))
    conn.send(("end",))


CHILDREN = {"highs": _highs_child, "search": _search_child}


def _start_child(kind: str, job: Job) -> tuple[subprocess.Popen[bytes], Connection]:
    """`python -m matching.large.child KIND FD` with the job on its standard input; its
    messages come back through the pipe FD."""
    receive, send = os.pipe()
    root = str(Path(__file__).resolve().parents[2])
    path = os.environ.get("PYTHONPATH")
    env = {**os.environ, "PYTHONPATH": root if not path else root + os.pathsep + path}
    child = subprocess.Popen(
        [sys.executable, "-m", "matching.large.child", kind, str(send)],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        pass_fds=(send,),
        env=env,
    )
    os.close(send)
    assert child.stdin is not None
    with child.stdin:
        pickle.dump(job, child.stdin)
    return child, Connection(receive, writable=False)


@dataclass
class _State:
    """What the parent knows: HiGHS's best bound and answer, the search's best solution."""

    log: Callable[[Sequence[str]], None] | None
    best: list[float]
    placed: int
    bound: float = math.inf
    highs: Count | None = None
    highs_done: bool = False
    search_done: bool = False

    def take(self, message: Any) -> None:
        if message[0] == "log":
            _, lines, bound = message
            self.bound = min(self.bound, bound)
            if self.log is not None and lines:
                self.log(lines)
        elif message[0] == "done":
            self.highs, self.highs_done = message[1], True
            if self.highs is not None and self.highs.bound is not None:
                self.bound = min(self.bound, self.highs.bound)
        elif message[0] == "found":
            self.best, self.placed = message[1], message[2]
        else:
            self.search_done = True

    def gone(self, kind: str) -> None:
        """The child ended without its last message (it failed or was stopped)."""
        if kind == "highs":
            self.highs_done = True
        else:
            self.search_done = True

    def reached(self) -> bool:
        """The search's best solution has the count HiGHS proved no solution exceeds."""
        return math.isfinite(self.bound) and self.placed >= math.floor(self.bound + 1e-6)

    def settled(self) -> bool:
        return self.reached() or (self.highs_done and self.search_done)

    def answer(self) -> Count | None:
        if self.reached():
            return Count(self.best, self.placed, True)
        bound = math.floor(self.bound + 1e-6) if math.isfinite(self.bound) else None
        highs = self.highs
        if highs is not None and sum(v > 0.5 for v in highs.values) >= self.placed:
            return highs
        return Count(self.best, bound, False)  # HiGHS stopped by the time limit, or failed


def neighbourhoods(
    mip: Rows, maximize: list[int], start: list[float], deadline: float
) -> Iterator[tuple[list[float], int]]:
    """Every improvement of the RINS search from `start`, as (values, count): the LP
    relaxation's vertices by HiGHS and by GLOP, each used in turn to fix what it agrees on
    with the best solution, until a round of both improves nothing."""
    best = start
    placed = sum(best[k] > 0.5 for k in maximize)
    vertices: list[list[float]] = []
    solvers = [mathopt.SolverType.HIGHS, mathopt.SolverType.GLOP]
    turn, idle = 0, 0
    while idle < len(solvers):
        if turn == len(vertices):  # this solver's vertex is not computed yet
            vertex = mip.relaxation(maximize, solvers[turn], deadline - time.perf_counter())
            if vertex is None:
                return
            vertices.append(vertex)
        vertex = vertices[turn]
        agree = {
            k: best[k]
            for k, integer in enumerate(mip.integer)
            if integer and mip.lower[k] < mip.upper[k] and abs(vertex[k] - best[k]) < 1e-6
        }
        sub = mip.restricted(agree)
        found = sub.solve_count(
            "neighbourhood", maximize, deadline - time.perf_counter(), best,
            node_limit=SUBMIP_NODES,
        )  # fmt: skip
        count = -1 if found is None else sum(found.values[k] > 0.5 for k in maximize)
        if found is not None and count > placed:
            best, placed, idle = found.values, count, 0
            yield best, placed
        else:
            idle += 1
        turn = (turn + 1) % len(solvers)


def count_with_search(
    mip: Rows,
    maximize: list[int],
    left_s: float,
    start: list[float],
    log: Callable[[Sequence[str]], None] | None = None,
    random_seed: int | None = None,
) -> Count | None:
    """The part's count: HiGHS and the neighbourhood search at once, each in a child
    process; see the module's docstring for which answer is taken."""
    started = time.perf_counter()
    deadline = started + left_s
    proto = mip.proto("strict part", maximize).SerializeToString()
    left = left_s - (time.perf_counter() - started)
    children: dict[str, tuple[subprocess.Popen[bytes], Connection]] = {}
    try:
        highs_job = (proto, left, start, random_seed, log is not None)
        children["highs"] = _start_child("highs", highs_job)
        children["search"] = _start_child("search", (mip, maximize, start, left))
    except OSError:  # no child process here: HiGHS alone, in this process
        for child, conn in children.values():
            child.kill()
            child.wait()
            conn.close()
        left = left_s - (time.perf_counter() - started)
        return mip.solve_count("strict part", maximize, left, start, log, random_seed)
    state = _State(log, start, sum(start[k] > 0.5 for k in maximize))
    kind_of = {conn: kind for kind, (_, conn) in children.items()}
    try:
        open_ = set(kind_of)
        while open_ and not state.settled():
            wait = deadline + GRACE_S - time.perf_counter()
            if wait <= 0:
                break
            # wait() returns the ready ones among the connections it was given
            ready = connection.wait(list(open_), timeout=min(wait, 1.0))
            for conn in cast("list[Connection]", ready):
                kind = kind_of[conn]
                try:
                    state.take(conn.recv())
                except (EOFError, OSError):
                    state.gone(kind)
                    open_.discard(conn)
    finally:
        for child, conn in children.values():
            if child.poll() is None:
                child.kill()
            child.wait()
            conn.close()
    return state.answer()
