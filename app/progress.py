"""Which value of a GP's progress measures ranks them (issue 19): one rule for the engine
problem (app.runs.problem.gp_json), the waiting list, the shortlist and the assign page.

A GP declares months in general practice, courses completed and supervision-group months;
a municipality user or a coordinator verifies them (app.gps.verification). A region whose
rules say ``verified_progress_only`` ranks by the last verified value of each measure; a
measure never verified counts as 0 (the engine has no "unknown" for these measures, and 0 is
what a GP with nothing to show has). The minimum months of general practice is judged on the
same value. Other regions rank by the declared values.
"""

from __future__ import annotations

from typing import Any

from notifications.wording import PROGRESS_MEASURES

MEASURES: tuple[str, ...] = PROGRESS_MEASURES


def ranking_value(gp: Any, measure: str, verified_only: bool) -> int:
    """The value of ``measure`` that ranks ``gp`` (a GP, or a row with the same attribute
    names: ``<measure>`` and ``<measure>_verified``)."""
    if not verified_only:
        return getattr(gp, measure)
    return getattr(gp, f"{measure}_verified") or 0
