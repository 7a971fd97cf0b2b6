"""The arrows between the top-level packages point one way: the app uses notifications and
matching; notifications and matching import nothing from the app, and matching nothing from
notifications. Checked twice: what importing every module loads (in a fresh interpreter),
and every import in the source, also those inside functions and by name."""

from __future__ import annotations

import ast
import graphlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = {"app", "matching", "notifications"}
# What each top-level package may import of the others.
ALLOWED = {"app": {"matching", "notifications"}, "notifications": set(), "matching": set()}
LIBRARIES = ("notifications", "matching")

LOAD_EVERY_MODULE = """
import importlib, json, pkgutil, sys
package = importlib.import_module(sys.argv[1])
names = [m.name for m in pkgutil.walk_packages(package.__path__, package.__name__ + ".")]
for name in names:
    importlib.import_module(name)
print(json.dumps({"imported": names, "loaded": sorted(sys.modules)}))
"""


def top_level(name: str) -> str:
    return name.split(".")[0]


def imported(path: Path) -> set[str]:
    """The top-level names ``path`` imports: import statements anywhere in the module, and
    importlib.import_module / __import__ of a literal name."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found |= {top_level(alias.name) for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(top_level(node.module))
        elif isinstance(node, ast.Call) and node.args:
            function = node.func
            called = function.attr if isinstance(function, ast.Attribute) else None
            if isinstance(function, ast.Name):
                called = function.id
            first = node.args[0]
            if called in ("import_module", "__import__") and isinstance(first, ast.Constant):
                found.add(top_level(str(first.value)))
    return found


def package_imports(package: str) -> dict[Path, set[str]]:
    """For each module of ``package``, the other top-level packages it imports."""
    return {
        path: (imported(path) & PACKAGES) - {package}
        for path in sorted((ROOT / package).rglob("*.py"))
    }


@pytest.mark.parametrize("package", LIBRARIES)
def test_importing_every_module_loads_no_forbidden_package(package):
    result = subprocess.run(
        [sys.executable, "-c", LOAD_EVERY_MODULE, package],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.splitlines()[-1])
    files = [path.relative_to(ROOT).with_suffix("").as_posix() for path in package_imports(package)]
    expected = {f.removesuffix("/__init__").replace("/", ".") for f in files} - {package}
    assert expected <= set(report["imported"])  # every module was imported
    loaded = {top_level(name) for name in report["loaded"]} & PACKAGES
    assert loaded - {package} <= ALLOWED[package], sorted(
        name for name in report["loaded"] if top_level(name) in PACKAGES - {package}
    )


@pytest.mark.parametrize("package", LIBRARIES)
def test_no_module_imports_a_forbidden_package(package):
    offenders = [
        f"{path.relative_to(ROOT)} imports {name}"
        for path, names in package_imports(package).items()
        for name in sorted(names - ALLOWED[package])
    ]
    assert offenders == []


def test_the_top_level_packages_import_each_other_without_a_cycle():
    graph = {
        package: set().union(*package_imports(package).values()) for package in sorted(PACKAGES)
    }
    for package, uses in graph.items():
        assert uses <= ALLOWED[package], f"{package} imports {sorted(uses - ALLOWED[package])}"
    order = list(graphlib.TopologicalSorter(graph).static_order())  # CycleError on a cycle
    assert order.index("notifications") < order.index("app")
    assert order.index("matching") < order.index("app")
