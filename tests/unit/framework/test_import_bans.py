"""Layering: an app imports only the framework (autocom.*), itself and libraries.

No app imports another app (apps.Y from apps/X), nor the package list ``apps``,
nor the project's tests, benchmarks or scripts; the framework never imports an
app's module. Read from the source with ``ast`` (every import: top level, inside
functions, under TYPE_CHECKING; relative ones resolved).
"""

from __future__ import annotations

from pathlib import Path

from tests.support.imports import ROOT, app_violations, framework_violations


def test_no_app_imports_another_app() -> None:
    modules = sorted((ROOT / "apps").glob("*/**/*.py"))
    assert len({p.relative_to(ROOT / "apps").parts[0] for p in modules}) >= 6, "found no apps"
    assert [v for path in modules for v in app_violations(path)] == []


def test_framework_imports_no_app_module() -> None:
    modules = sorted((ROOT / "autocom").rglob("*.py"))
    assert len(modules) > 50, "found no framework modules"
    assert [v for path in modules for v in framework_violations(path)] == []


def test_the_checks_see_every_shape_of_import(tmp_path: Path) -> None:
    app = tmp_path / "apps" / "forwards" / "engine.py"
    app.parent.mkdir(parents=True)
    app.write_text(
        "import apps.ivr.engine\n"
        "from apps.time_rules import hooks\n"
        "from apps.forwards import state\n"
        "from autocom.rights import decide\n"
        "from ..speed_dial import cli\n"
        "from . import rules\n"
        "import pydantic, apps\n"
        "def f() -> None:\n"
        "    from tests.support import x\n"
    )
    found = app_violations(app, tmp_path)
    assert found == [
        "apps/forwards/engine.py:1: imports apps.ivr.engine",
        "apps/forwards/engine.py:2: imports apps.time_rules.hooks",
        "apps/forwards/engine.py:5: imports apps.speed_dial.cli",
        "apps/forwards/engine.py:7: imports apps",
        "apps/forwards/engine.py:9: imports tests.support.x",
    ]
    framework = tmp_path / "autocom" / "rights" / "engine.py"
    framework.parent.mkdir(parents=True)
    framework.write_text("from apps.forwards.rules import X\nfrom autocom.site import model\n")
    assert framework_violations(framework, tmp_path) == [
        "autocom/rights/engine.py:1: imports apps.forwards.rules.X"
    ]
