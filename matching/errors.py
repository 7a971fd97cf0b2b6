"""Errors the engine reports to its callers (never a traceback on bad input)."""

from __future__ import annotations


class ProblemError(ValueError):
    """A problem file is malformed; `field` names the offending JSON path."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
