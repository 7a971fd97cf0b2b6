"""The API's resources, one module per area; each defines a flask-smorest Blueprint ``blp``."""

from __future__ import annotations

import importlib

# Modules in the order their sections appear in the OpenAPI document.
MODULES = (
    "reference",
    "gps",
    "privacy",
    "availabilities",
    "municipality",
    "periods",
    "shortlist",
    "vacancies",
    "matching",
    "matches",
    "learning",
    "audit",
    "notifications",
)


def blueprints():
    return [importlib.import_module(f"{__name__}.{name}").blp for name in MODULES]
