"""The package's layers, checked on the source: data flows one way, privates stay private.

Read from the files with ``ast`` (nothing is imported), so the rule holds for
imports inside functions too.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "entretien_forms"


def _imports(path: Path) -> list[tuple[int, str]]:
    """Every ``entretien_forms...`` module this file imports, with its line."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.startswith("entretien_forms"):
                found.append((node.lineno, node.module))
                # `from entretien_forms.render import _docx_parts` names a private module too.
                found += [
                    (node.lineno, f"{node.module}.{alias.name}")
                    for alias in node.names
                    if alias.name.startswith("_")
                ]
        elif isinstance(node, ast.Import):
            found += [
                (node.lineno, alias.name)
                for alias in node.names
                if alias.name.startswith("entretien_forms")
            ]
    return found


def _package_of(path: Path) -> str:
    """The top-level part a module belongs to: ``inbox`` for inbox/ingest.py, ``rules`` for rules.py."""
    relative = path.relative_to(PACKAGE)
    return relative.parts[0].removesuffix(".py")


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def test_no_package_imports_another_packages_private_modules() -> None:
    wrong = []
    for path in _modules():
        own = _package_of(path)
        for line, module in _imports(path):
            parts = module.split(".")[1:]  # without "entretien_forms"
            private = next((i for i, part in enumerate(parts) if part.startswith("_")), None)
            if private is None or private == 0:
                continue
            if parts[0] != own:
                wrong.append(f"{path.relative_to(PACKAGE)}:{line} imports {module}")
    assert wrong == []


def test_the_inbox_does_not_import_generation() -> None:
    """Reading a returned form needs the forms' contract, never the code that issues them."""
    wrong = [
        f"{path.relative_to(PACKAGE)}:{line} imports {module}"
        for path in (PACKAGE / "inbox").rglob("*.py")
        for line, module in _imports(path)
        if module == "entretien_forms.generate" or module.startswith("entretien_forms.render")
    ]
    assert wrong == []


def test_the_inbox_does_not_load_generation_even_through_another_package() -> None:
    """Direct imports are not enough: the inbox reaches ``mail.unpack``, not the mail sender."""
    code = (
        "import sys, entretien_forms.inbox.ingest, entretien_forms.inbox.service\n"
        "print(sorted(m for m in sys.modules if m.startswith(('entretien_forms.generate',"
        " 'entretien_forms.render', 'entretien_forms.mail.send'))))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True
    ).stdout.strip()
    assert loaded == "[]"


def test_the_library_never_imports_click() -> None:
    wrong = []
    for path in _modules():
        if _package_of(path) == "cli":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            if any(n == "click" or n.startswith("click.") for n in names):
                wrong.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
    assert wrong == []
