"""Public vacancies for machines: schema.org JobPosting (JSON-LD on each vacancy page) and an
Atom feed of the advertised periods. Both read the public vacancy list, so a vacancy that is
filled, withdrawn or has started is in neither."""

from __future__ import annotations

from datetime import datetime, time
from xml.etree import ElementTree as ET

import sqlalchemy as sa
from flask import url_for
from flask_babel import gettext as _

from app.dates import local_zone
from app.extensions import db
from app.i18n import current_locale
from app.models import AuditEvent, Period
from app.periods.advert import advert_text
from app.text import xml_safe

ATOM = "http://www.w3.org/2005/Atom"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def advertised_at(periods: list[Period]) -> dict[int, datetime]:
    """When each period went to ordinary advertising (the audit record of the run that did
    it; the fallback date if there is none)."""
    ids = [p.id for p in periods]
    found: dict[int, datetime] = {}
    if ids:
        rows = db.session.execute(
            sa.select(AuditEvent.object_id, sa.func.max(AuditEvent.at))
            .where(
                AuditEvent.action == "period.advertised",
                AuditEvent.object_type == "period",
                AuditEvent.object_id.in_(ids),
            )
            .group_by(AuditEvent.object_id)
        ).all()
        found = {object_id: at for object_id, at in rows}
    return {p.id: found.get(p.id) or p.advertise_after for p in periods}


def _title_and_description(period: Period) -> tuple[str, str]:
    # The advert's own words (bokmål): its first line is the title.
    title, _sep, rest = advert_text(period).partition("\n")
    return title.strip(), rest.strip()


def job_posting(period: Period) -> dict:
    """The schema.org JobPosting of an advertised period (absolute URLs: in a request)."""
    department = period.department
    trust = department.trust
    site = department.site
    posted = advertised_at([period])[period.id]
    title, description = _title_and_description(period)
    locality = (
        site.municipality.name
        if site is not None and site.municipality is not None
        else (site.name if site is not None else trust.name)
    )
    valid_through = datetime.combine(period.start_date, time(0), tzinfo=local_zone())
    return {
        "@context": "https://schema.org/",
        "@type": "JobPosting",
        "title": title,
        "description": description,
        "identifier": {"@type": "PropertyValue", "name": trust.name, "value": str(period.id)},
        "datePosted": posted.astimezone(local_zone()).date().isoformat(),
        "validThrough": valid_through.isoformat(),
        "jobStartDate": period.start_date.isoformat(),
        "employmentType": "TEMPORARY",
        "occupationalCategory": department.specialty.name_in("nb"),
        "hiringOrganization": {
            "@type": "Organization",
            "name": trust.name,
            "sameAs": url_for("main.trust_detail", code=trust.code, _external=True),
        },
        "jobLocation": {
            "@type": "Place",
            "name": site.name if site is not None else trust.name,
            "address": {
                "@type": "PostalAddress",
                "addressLocality": locality,
                "addressRegion": trust.region.name,
                "addressCountry": "NO",
            },
        },
        "url": url_for("public.vacancy", period_id=period.id, _external=True),
        "directApply": False,
    }


def _text(parent: ET.Element, tag: str, text: str, **attrs) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
    # Text that came in before the input rules did may hold characters XML cannot carry;
    # one of them would make the feed unreadable for everyone.
    element.text = xml_safe(text)
    return element


def atom_feed(periods: list[Period]) -> bytes:
    """An Atom 1.0 feed of the vacancies (inside a request, for absolute URLs)."""
    ET.register_namespace("", ATOM)
    posted = advertised_at(periods)
    feed_url = url_for("alerts.vacancies_atom", _external=True)
    feed = ET.Element(f"{{{ATOM}}}feed", {XML_LANG: current_locale()})
    _text(feed, "id", feed_url)
    _text(feed, "title", _("ALIS portal: vacancies advertised the ordinary way"))
    _text(
        feed,
        "subtitle",
        _(
            "Temporary hospital posts for GPs in specialist training (ALIS) that any doctor may "
            "apply for."
        ),
    )
    stamps = [max(p.updated_at, posted[p.id]) for p in periods]
    updated = max(stamps) if stamps else datetime(2026, 1, 1, tzinfo=local_zone())
    _text(feed, "updated", updated.isoformat())
    ET.SubElement(
        feed, f"{{{ATOM}}}link", {"rel": "self", "href": feed_url, "type": "application/atom+xml"}
    )
    ET.SubElement(
        feed,
        f"{{{ATOM}}}link",
        {
            "rel": "alternate",
            "type": "text/html",
            "href": url_for("public.vacancies", _external=True),
        },
    )
    author = ET.SubElement(feed, f"{{{ATOM}}}author")
    _text(author, "name", _("ALIS portal"))
    for period, stamp in zip(periods, stamps, strict=True):
        page = url_for("public.vacancy", period_id=period.id, _external=True)
        title, description = _title_and_description(period)
        entry = ET.SubElement(feed, f"{{{ATOM}}}entry", {XML_LANG: "nb"})  # the advert's words
        _text(entry, "id", page)
        _text(entry, "title", title)
        _text(entry, "published", posted[period.id].isoformat())
        _text(entry, "updated", stamp.isoformat())
        ET.SubElement(
            entry, f"{{{ATOM}}}link", {"rel": "alternate", "type": "text/html", "href": page}
        )
        entry_author = ET.SubElement(entry, f"{{{ATOM}}}author")
        _text(entry_author, "name", period.department.trust.name)
        ET.SubElement(
            entry,
            f"{{{ATOM}}}category",
            {
                "term": period.department.specialty.code,
                "label": period.department.specialty.name_in("nb"),
            },
        )
        _text(entry, "summary", description, type="text")
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)
