"""Routes: public pages of the vacancies that are advertised the ordinary way."""

from __future__ import annotations

from flask import abort, render_template

from app.extensions import db

from . import bp
from .services import get_vacancy, vacancies_query


@bp.route("/vacancies")
def vacancies():
    """The advertised periods, open to anyone."""
    periods = db.session.scalars(vacancies_query()).all()
    return render_template("public/vacancies.html", periods=periods)


@bp.route("/vacancies/<int:period_id>")
def vacancy(period_id: int):
    """One advertised period; anything else answers 404."""
    period = get_vacancy(period_id)
    if period is None:
        abort(404)
    return render_template("public/vacancy.html", period=period, months=period.months)
