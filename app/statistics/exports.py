"""The figures as CSV and as an Excel workbook (app/exports/tabular.py): the same rows the
page shows."""

from __future__ import annotations

from collections.abc import Iterator

from flask import Response
from flask_babel import gettext as _

from app.exports import tabular

from .services import COUNTS, Figures


def count_labels() -> dict[str, str]:
    """The monthly counts' names, in the viewer's language (the page's column heads too)."""
    return {
        "published": _("Published"),
        "proposed": _("Proposed"),
        "filled": _("Filled"),
        "advertised": _("Advertised"),
        "declined": _("Declined"),
        "expired": _("Expired"),
        "passed_over": _("Passed over"),
    }


def _sheets(fig: Figures) -> Iterator[tabular.Sheet]:
    labels = count_labels()
    yield (
        _("Months"),
        [[_("Month"), *(labels[c] for c in COUNTS)]]
        + [[m.start.isoformat()[:7], *(getattr(m, c) for c in COUNTS)] for m in fig.months]
        + [[_("Total"), *(fig.total(c) for c in COUNTS)]],
    )
    yield (
        _("Summary"),
        [
            [_("Figure"), _("Value")],
            [_("Fill rate"), "" if fig.fill_rate is None else round(fig.fill_rate, 3)],
            [_("Median days from publication to proposal"), fig.days_to_proposal or ""],
            [_("Median days from publication to acceptance"), fig.days_to_acceptance or ""],
            [_("GPs waiting today"), fig.waiting],
            [_("Median days waiting"), fig.waiting_days or ""],
        ],
    )
    for title, rows in (
        (_("By trust"), fig.by_trust),
        (_("By specialty"), fig.by_specialty),
        (_("By municipality"), fig.by_municipality),
    ):
        yield title, [[title, _("Placements")], *([name, n] for name, n in rows)]


def download(fig: Figures, fmt: str, filename: str, title: str) -> Response:
    """The figures as CSV or as an Excel workbook (one sheet per table)."""
    return tabular.download(list(_sheets(fig)), fmt, filename, title)
