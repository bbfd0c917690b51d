"""What a module imports, read with ``ast`` (for the layering tests)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# top-level names of the project itself: everything else is the stdlib or a library
PROJECT_TOP = frozenset({"apps", "autocom", "tests", "bench", "scripts", "examples", "agi_server"})


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path, root: Path = ROOT) -> list[tuple[int, str]]:
    """(line, module) of every import in ``path``: top level, in functions, relative ones
    resolved; ``from M import n`` counts as ``M.n`` (n may be a module)."""
    package = module_name(path, root)
    if path.name != "__init__.py":
        package = package.rpartition(".")[0]
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                kept = parts[: len(parts) - node.level + 1]
                base = ".".join([*kept, node.module] if node.module else kept)
            found.extend((node.lineno, f"{base}.{alias.name}") for alias in node.names)
    return found


def app_violations(path: Path, root: Path = ROOT) -> list[str]:
    """Imports of an app module (apps/X/...) that are neither apps.X, autocom, the
    standard library nor a library."""
    own = path.relative_to(root / "apps").parts[0]
    bad = []
    for line, name in imports_of(path, root):
        parts = name.split(".")
        if parts[0] == "autocom" or parts[0] not in PROJECT_TOP:
            continue
        if parts[0] == "apps" and len(parts) > 1 and parts[1] == own:
            continue
        bad.append(f"{path.relative_to(root)}:{line}: imports {name}")
    return bad


def framework_violations(path: Path, root: Path = ROOT) -> list[str]:
    """Imports of a framework module of an app's module, the tests or the benchmarks
    (the package list ``apps`` itself is how the CLI finds the bundled features)."""
    bad = []
    for line, name in imports_of(path, root):
        parts = name.split(".")
        if parts[0] in {"tests", "bench", "scripts"} or (
            parts[0] == "apps" and name != "apps.features"
        ):
            bad.append(f"{path.relative_to(root)}:{line}: imports {name}")
    return bad
