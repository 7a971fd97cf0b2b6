"""One catalogue words every error code: every code a service raises has words in it, in
bokmål, nynorsk and English."""

from __future__ import annotations

import ast
import pathlib

import pytest

from app.catalogue import FIELD_MESSAGES, MESSAGES, describe, describe_field

ROOT = pathlib.Path(__file__).resolve().parents[2]
# constructor -> where the code is among its arguments
CODE_ARG = {
    "MatchConflict": 0,
    "Conflict": 0,
    "InvalidInput": 0,
    "Forbidden": 0,
    "availability_conflict": 0,
    "AvailabilityConflict": 0,
    "AccountError": 1,
    "ProfileError": 1,
}


def _raised_codes() -> tuple[set[str], set[tuple[str, str]]]:
    """(codes, (field, code) pairs) that the code in app/ raises."""
    codes: set[str] = set()
    pairs: set[tuple[str, str]] = set()
    for path in (ROOT / "app").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call):
                name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
                position = CODE_ARG.get(name)
                args = node.args
                if position is not None and len(args) > position:
                    arg = args[position]
                    field = next((k.value for k in node.keywords if k.arg == "field"), None)
                    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                        if isinstance(field, ast.Constant):  # worded on its field
                            pairs.add((field.value, arg.value))
                        else:
                            codes.add(arg.value)
                if name == "ShortlistUnavailable" and args and isinstance(args[0], ast.Constant):
                    codes.add(f"shortlist_{args[0].value}")
                # checked.error("field", "code") in the window's validation
                if (
                    name == "error"
                    and len(args) >= 2
                    and all(isinstance(a, ast.Constant) for a in args[:2])
                ):
                    pairs.add((args[0].value, args[1].value))
                # PeriodError({"field": "code"}) and friends
                if name in ("PeriodError", "SubscriptionError", "PolicyError") and (
                    args and isinstance(args[0], ast.Dict)
                ):
                    for k, v in zip(args[0].keys, args[0].values, strict=True):
                        if isinstance(k, ast.Constant) and isinstance(v, ast.Constant):
                            pairs.add((k.value, v.value))
            # errors["field"] = "code" in the validation functions
            if (
                isinstance(node, ast.Assign)
                and len(node.targets) == 1
                and isinstance(node.targets[0], ast.Subscript)
                and getattr(node.targets[0].value, "id", None) in ("errors", "field_errors")
                and isinstance(node.targets[0].slice, ast.Constant)
                and isinstance(node.value, ast.Constant)
                and isinstance(node.value.value, str)
            ):
                pairs.add((node.targets[0].slice.value, node.value.value))
    return codes, pairs


def test_every_code_a_service_raises_has_words():
    codes, pairs = _raised_codes()
    assert len(codes) > 40 and len(pairs) > 20  # the scan finds them
    assert sorted(c for c in codes if c not in MESSAGES) == []
    missing = sorted(
        (field, code)
        for field, code in pairs
        if (field.partition("[")[0], code) not in FIELD_MESSAGES and code not in MESSAGES
    )
    assert missing == []


@pytest.mark.parametrize("locale", ["nb", "nn", "en"])
def test_the_words_are_in_every_language(app, locale):
    from flask_babel import force_locale

    with app.test_request_context(), force_locale(locale):
        texts = [describe("period_taken"), describe_field("latest_end", "too_short", n=6, date="x")]
        assert all(texts) and "%(" not in "".join(texts)
    if locale == "en":
        assert texts[0] == "The period already has an offer or a placement."
    else:
        assert texts[0] != "The period already has an offer or a placement."
