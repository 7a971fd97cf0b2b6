"""Routes: public pages of the vacancies that are advertised the ordinary way."""

from __future__ import annotations

from flask import abort, render_template

from app.paging import page_number, page_of

from . import bp
from .services import VACANCIES_PER_PAGE, get_vacancy, vacancies_query


@bp.route("/vacancies")
def vacancies():
    """The advertised periods, open to anyone."""
    periods = page_of(vacancies_query(), page_number(), VACANCIES_PER_PAGE)
    return render_template("public/vacancies.html", periods=periods)


@bp.route("/vacancies/<int:period_id>")
def vacancy(period_id: int):
    """One advertised period; anything else answers 404."""
    period = get_vacancy(period_id)
    if period is None:
        abort(404)
    return render_template("public/vacancy.html", period=period, months=period.months)
