"""The dependency direction of DESIGN.md, checked on the import statements."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
OURS = {"crawler", "extract", "dedupe", "storage", "web", "flows", "demo"}
ALLOWED = {
    "crawler": set(),
    "extract": set(),
    "dedupe": set(),
    "storage": set(),
    "demo": set(),
    "web": {"storage"},
    "flows": {"crawler", "extract", "dedupe", "storage", "web", "demo"},
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found & OURS


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_package_imports_only_what_design_allows(package: str) -> None:
    files = sorted((ROOT / package).rglob("*.py"))
    assert files, f"package {package}/ has no Python files"
    bad = []
    for path in files:
        for imported in _imports(path) - ALLOWED[package] - {package}:
            bad.append(f"{path.relative_to(ROOT)} imports {imported}")
    assert not bad, (
        "imports against DESIGN.md's direction (crawler/extract/dedupe/storage import "
        "nothing of ours, web/ only storage/, nothing imports flows/): " + "; ".join(bad)
    )
