"""Code shape: no function in autocom/ or apps/ is over 60 lines or has a cyclomatic
complexity over 20 (radon grade D and worse) unless a ``# long: <reason>`` comment
on the line above its ``def`` (or on the ``def`` line) says why.

Lengths are the function's lines from its first decorator to its last line
(docstring and comments included); complexity is radon's, per function (a
nested function counts on its own, not in its parent's).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

from radon.complexity import cc_visit

ROOT = Path(__file__).resolve().parents[2]
MAX_LINES = 60
MAX_COMPLEXITY = 20  # radon grade C is 11-20
LONG_MARK = "# long:"


@dataclass(frozen=True)
class Shape:
    where: str
    name: str
    lines: int
    complexity: int
    excused: bool

    def __str__(self) -> str:
        return f"{self.where} {self.name}: {self.lines} lines, complexity {self.complexity}"


def complexities(source: str) -> dict[tuple[str, int], int]:
    """(name, def line) -> radon complexity, for every function, method and closure."""
    out: dict[tuple[str, int], int] = {}
    todo = list(cc_visit(source))
    while todo:
        block = todo.pop()
        todo.extend(getattr(block, "methods", ()))
        todo.extend(getattr(block, "closures", ()))
        if not hasattr(block, "methods"):  # a function (a class has methods)
            out[(block.name, block.lineno)] = block.complexity
    return out


def shapes(path: Path, root: Path = ROOT) -> list[Shape]:
    source = path.read_text()
    text = source.splitlines()
    cc = complexities(source)
    found = []
    for node in ast.walk(ast.parse(source, str(path))):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
        end = node.end_lineno or node.lineno
        header = text[first - 2 : node.body[0].lineno - 1] if first >= 2 else text[:1]
        found.append(
            Shape(
                f"{path.relative_to(root)}:{node.lineno}",
                node.name,
                end - first + 1,
                cc.get((node.name, node.lineno), 1),
                any(LONG_MARK in line for line in header),
            )
        )
    return found


def offenders(folders: tuple[str, ...]) -> list[Shape]:
    return [
        s
        for folder in folders
        for path in sorted((ROOT / folder).rglob("*.py"))
        for s in shapes(path)
        if (s.lines > MAX_LINES or s.complexity > MAX_COMPLEXITY) and not s.excused
    ]


def test_no_function_is_too_long_or_too_complex() -> None:
    found = offenders(("autocom", "apps"))
    assert [str(s) for s in found] == []


def test_the_measure_sees_length_complexity_and_the_excuse(tmp_path: Path) -> None:
    branches = "\n".join(f"    if x == {i}:\n        return {i}" for i in range(21))
    filler = "\n".join(f"    y = {i}" for i in range(60))
    (tmp_path / "m.py").write_text(
        f"def tangled(x):\n{branches}\n    return -1\n\n\n"
        f"def long(x):\n{filler}\n    return y\n\n\n"
        f"# long: a table of cases\ndef excused(x):\n{filler}\n    return y\n\n\n"
        "def short(x):\n    return x\n"
    )
    found = {s.name: s for s in shapes(tmp_path / "m.py", tmp_path)}
    assert found["tangled"].complexity == 22 and found["tangled"].lines == 44
    assert found["long"].lines == 62 and found["long"].complexity == 1
    assert found["excused"].excused and not found["long"].excused
    assert found["short"].lines == 2 and found["short"].complexity == 1
