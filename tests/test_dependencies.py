"""Every third-party package the code imports is declared in pyproject.toml.

Runtime code must find its packages in `dependencies`; tests, benchmarks and dev.py may also
use the `dev` extra. A package that only arrives as some other package's dependency (werkzeug
with flask, say) can go away or change range without notice, so importing it directly means
declaring it. Needs no database.
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from collections import defaultdict
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNTIME = ("app", "matching", "notifications", "migrations")
TOOLS = ("tests", "benchmarks", "dev.py")


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _declared() -> tuple[set[str], set[str]]:
    """Distribution names of (`dependencies`, the `dev` extra), normalised."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]

    def names(requirements: list[str]) -> set[str]:
        return {
            _normalise(re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", r)[1]) for r in requirements
        }

    return names(project["dependencies"]), names(project["optional-dependencies"]["dev"])


def _own_modules() -> set[str]:
    """Top-level modules of this repository: its packages, folders of code and scripts."""
    return {
        p.stem if p.suffix == ".py" else p.name
        for p in ROOT.iterdir()
        if not p.name.startswith(".")
        and (p.suffix == ".py" or (p.is_dir() and any(p.rglob("*.py"))))
    }


def _third_party_imports(*roots: str) -> dict[str, set[str]]:
    """Top-level module -> files importing it, for absolute imports that are not the stdlib's
    nor this repository's (imports inside functions and `if TYPE_CHECKING:` count too)."""
    own = _own_modules()
    found: dict[str, set[str]] = defaultdict(set)
    for root in roots:
        path = ROOT / root
        files = [path] if path.suffix == ".py" else sorted(path.rglob("*.py"))
        for file in files:
            if any(part.startswith(".") for part in file.relative_to(ROOT).parts):
                continue  # hidden: the benchmark's peer virtual environment, caches
            tree = ast.parse(file.read_text(encoding="utf-8"), str(file))
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    modules = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    modules = [node.module]
                else:
                    continue
                for module in modules:
                    top = module.split(".")[0]
                    if top not in sys.stdlib_module_names and top not in own:
                        found[top].add(str(file.relative_to(ROOT)))
    return found


def _undeclared(imports: dict[str, set[str]], allowed: set[str]) -> list[str]:
    """One line per imported module that no declared distribution provides."""
    provides = packages_distributions()
    problems = []
    for module, files in sorted(imports.items()):
        dists = sorted({_normalise(d) for d in provides.get(module, [])})
        where = ", ".join(sorted(files)[:3]) + (", ..." if len(files) > 3 else "")
        if not dists:
            problems.append(f"{module}: no installed distribution provides it ({where})")
        elif not allowed & set(dists):
            problems.append(f"{module}: from {' or '.join(dists)}, not declared ({where})")
    return problems


def test_runtime_code_imports_only_declared_dependencies():
    runtime, _ = _declared()
    problems = _undeclared(_third_party_imports(*RUNTIME), runtime)
    assert not problems, "add to [project] dependencies in pyproject.toml:\n" + "\n".join(problems)


def test_tests_and_tools_import_only_declared_packages():
    runtime, dev = _declared()
    problems = _undeclared(_third_party_imports(*TOOLS), runtime | dev)
    assert not problems, "add to dependencies or the dev extra:\n" + "\n".join(problems)


def test_the_scan_sees_the_imports():
    """Guards the two tests above against passing because they looked at nothing."""
    runtime = _third_party_imports(*RUNTIME)
    assert {"flask", "sqlalchemy", "numpy", "ortools"} <= set(runtime)
    assert "matching" not in runtime and "json" not in runtime
    assert "pytest" in _third_party_imports(*TOOLS)
    assert "flask-sqlalchemy" in {
        _normalise(d) for d in packages_distributions().get("flask_sqlalchemy", [])
    }
