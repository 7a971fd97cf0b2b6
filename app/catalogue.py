"""Every error code in words, once, in bokmål, nynorsk and English (through the message
catalogues). Pages, the API and emails word a code with ``describe``; a field's own code with
``describe_field``. A code without words here falls back to a general sentence, and a test
checks that every code the services raise has words."""

from __future__ import annotations

from flask_babel import gettext
from flask_babel import lazy_gettext as _l

NOT_FOUND = {
    "object": _l("There is no such object, or you may not see it."),
    "period": _l("There is no such period, or you may not see it."),
    "gp": _l("There is no such GP, or you may not see them."),
    "match": _l("There is no such match, or you may not see it."),
    "department": _l("There is no such department, or you may not see it."),
    "region": _l("There is no such region, or you may not see it."),
    "run": _l("There is no such matching run, or you may not see it."),
}

MESSAGES = {
    "run_in_future": _l(
        "A run that changes anything cannot be dated after today. Make a dry run to look ahead."
    ),
    "run_in_past": _l("Choose today or a later day."),
    "run_too_far": _l("Choose a day within five years."),
    "run_refused": _l(
        "Another matching run is in progress, or this date has already run. Try again soon."
    ),
}


def describe(code: str, **params) -> str:
    """The words for ``code`` in the current language."""
    if code.startswith("not_found."):
        text = NOT_FOUND.get(code.partition(".")[2], NOT_FOUND["object"])
    else:
        text = MESSAGES.get(code)
    if text is None:
        return gettext("This is not possible right now.")
    return str(text) % params if params else str(text)


def describe_field(field: str, code: str) -> str:
    return describe(code)
