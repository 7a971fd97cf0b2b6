"""The engine's tests need no app: put the repository first on sys.path (a stale editable
install may otherwise see `matching` as a namespace package)."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = str(Path(__file__).resolve().parents[2])
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)
for name in [m for m in sys.modules if m == "matching" or m.startswith("matching.")]:
    if getattr(sys.modules[name], "__file__", None) is None:
        del sys.modules[name]
