"""Forcing the solver down one of its paths, for tests of that path (every path must give
the same result where it proves it: docs/matching.md, "The objective")."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import replace
from unittest import mock

import numpy as np

import matching.solver
from matching.market import Market
from matching.ties import Possible, possible_pairs


@contextmanager
def all_parts_to_mip() -> Iterator[None]:
    """Every strict part with a gap goes to the MIP for its count: no packing certificate,
    no CP-SAT for the count (with ties or without)."""
    with ExitStack() as stack:
        stack.enter_context(mock.patch.object(matching.solver, "CPSAT_PAIRS", -1))
        stack.enter_context(mock.patch.object(matching.solver, "CPSAT_TIE_PAIRS", -1))
        stack.enter_context(mock.patch.object(matching.solver, "_strict_bound", lambda *a: 10**9))
        yield


@contextmanager
def all_parts_to_cpsat() -> Iterator[None]:
    """Every strict part goes to CP-SAT for every stage, whatever its size."""
    with ExitStack() as stack:
        stack.enter_context(mock.patch.object(matching.solver, "CPSAT_PAIRS", 10**9))
        stack.enter_context(mock.patch.object(matching.solver, "_strict_bound", lambda *a: 10**9))
        yield


def _everyone_moved(market: Market) -> Possible:
    found = possible_pairs(market)
    return replace(found, moved=np.ones_like(found.moved))


@contextmanager
def no_deferred_acceptance_shortcut() -> Iterator[None]:
    """Deferred acceptance alone decides nothing: every part goes to an exact model, also
    where M0 is provably the best result."""
    with mock.patch.object(matching.solver, "possible_pairs", _everyone_moved):
        yield
