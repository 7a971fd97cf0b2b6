"""Forcing the solver down one of its paths, for tests of that path."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from unittest import mock

import matching.solver


@contextmanager
def all_parts_to_mip() -> Iterator[None]:
    """Every strict part with a gap goes to the MIP: no packing certificate, no CP-SAT."""
    with ExitStack() as stack:
        stack.enter_context(mock.patch.object(matching.solver, "CPSAT_PAIRS", -1))
        stack.enter_context(mock.patch.object(matching.solver, "_strict_bound", lambda *a: 10**9))
        yield
