"""The shape of the code: one direction for every import (the import-linter contracts in
.importlinter), no import hidden inside a function, templates inside their apps."""

import ast
from pathlib import Path

from importlinter.cli import lint_imports

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "kapcare"


def test_the_import_contracts_hold():
    # given the layers, independence and forbidden contracts, when import-linter checks them
    # then every one is kept
    assert lint_imports(config_filename=str(ROOT / ".importlinter")) == 0


def _function_level_imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for func in ast.walk(tree):
        if not isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        if func.name == "ready" and path.name == "apps.py":
            continue  # Django's place for registering into other apps, after models load
        for node in ast.walk(func):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("kapcare"):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.module}")
            elif isinstance(node, ast.Import) and any(
                a.name.startswith("kapcare") for a in node.names
            ):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def test_no_kapcare_import_hides_inside_a_function():
    # given every module but migrations (which load code as it was), when the functions are read
    found = [
        hit
        for path in sorted(PACKAGE.rglob("*.py"))
        if "migrations" not in path.parts
        for hit in _function_level_imports(path)
    ]
    # then none imports a kapcare module: a cycle is broken by a registry, not hidden
    assert found == []


def test_project_templates_hold_only_the_shared_layout():
    # given the project-level templates directory, then it holds the base layouts, error pages,
    # components and the public site's shared pieces; every app's pages live in the app
    top = PACKAGE / "templates"
    assert sorted(p.name for p in top.iterdir() if p.is_dir()) == ["components", "public"]
    assert sorted(p.name for p in top.glob("*.html")) == [
        "403.html",
        "404.html",
        "500.html",
        "auth_base.html",
        "base.html",
    ]
    assert sorted(p.name for p in (top / "public").iterdir()) == [
        "_clinic_details.html",
        "_crisis_note.html",
        "_form_errors.html",
        "link_not_usable.html",
        "public_base.html",
        "rate_limited.html",
    ]
