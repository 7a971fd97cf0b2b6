"""The engine is a pure library: importing it loads no web framework and no database layer."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_import_loads_neither_flask_nor_sqlalchemy() -> None:
    code = (
        f"import sys; sys.path.insert(0, {str(ROOT)!r}); "
        "import matching, matching.cli, matching.checker, matching.generator; "
        "bad = sorted(m for m in sys.modules "
        "if m.split('.')[0] in ('flask', 'sqlalchemy', 'app')); "
        "print(matching.__file__); print(bad); sys.exit(1 if bad else 0)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.splitlines()[0].endswith("matching/__init__.py")
