"""The advert for a period that fell back to ordinary advertising.

Always in Norwegian bokmål, whatever the user's language: the trust pastes it into its
recruitment system (WebCruiter and the like), so it is content, not interface text.
"""

from __future__ import annotations

from babel.dates import format_date
from flask import has_request_context, url_for

from app.i18n import DATE_PATTERNS
from app.models import Period

SOURCE_SENTENCES = {
    "parental_leave": "Vikariatet skyldes foreldrepermisjon.",
    "leave_of_absence": "Vikariatet skyldes permisjon.",
    "vacancy": "Vikariatet er i en ledig stilling.",
    "earmarked_post": "Stillingen er øremerket lege i spesialisering i allmennmedisin.",
    "other": "",
}


def _date(day) -> str:
    return format_date(day, DATE_PATTERNS["nb"]["date.long"], locale="nb")


def vacancy_url(period: Period) -> str:
    """The public vacancy page, absolute inside a request."""
    if has_request_context():
        return url_for("public.vacancy", period_id=period.id, _external=True)
    return f"/vacancies/{period.id}"


def advert_text(period: Period) -> str:
    """The advert as plain text in bokmål: title, place, dates, on-call, description,
    who it suits, contact person and the public page. Changes nothing."""
    department = period.department
    trust = department.trust
    months = period.months
    place = trust.name + (f", {department.site.name}" if department.site else "")
    lines = [
        f"Lege i spesialisering i allmennmedisin (ALIS) – vikariat {department.name}",
        "",
        f"Arbeidssted: {place}",
        f"Avdeling: {department.name}",
        f"Fagområde: {department.specialty.name_in('nb')}",
        f"Periode: {_date(period.start_date)} – {_date(period.end_date)} "
        f"({months} {'måned' if months == 1 else 'måneder'})",
        "Vaktarbeid: "
        + ("Stillingen inngår i avdelingens vaktordning." if period.on_call else "Ingen vakter."),
        "",
    ]
    source = SOURCE_SENTENCES.get(period.source, "")
    if source:
        lines += [source, ""]
    if period.description.strip():
        lines += [period.description.strip(), ""]
    lines += [
        "Vikariatet passer for en lege i spesialisering i allmennmedisin (ALIS) som trenger "
        "sykehustjeneste i spesialiseringen, og gir mulighet til å oppnå læringsmålene ALM-055 "
        "(samhandling mellom kommune- og spesialisthelsetjenesten) og ALM-085 (fordypning i "
        "en utvalgt pasientgruppe).",
        "",
    ]
    contact = ", ".join(x for x in (period.contact_name, period.contact_email) if x)
    if contact:
        lines += [f"Kontaktperson: {contact}", ""]
    lines.append(f"Les mer: {vacancy_url(period)}")
    return "\n".join(lines)
