"""`autocom departments [NAME]`: what each department may change, who its users are and
what its fragments set, each with its file:line (docs/departments.md)."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from autocom.departments.compiled import Departments, Setting
from autocom.site.model import Site

if TYPE_CHECKING:
    from autocom.context import CliContext


def add_departments_command(top: Any) -> None:
    parser = top.add_parser(
        "departments",
        help="what each department may change, its users and what its fragments set",
    )
    parser.add_argument("name", nargs="?", help="one department (its short name)")
    parser.set_defaults(run=cmd_departments)


def _setting(s: Setting) -> str:
    listed = ", ".join(s.value)
    if s.kind == "assign":
        text = f"{s.key} -> class {listed}"
    elif s.kind == "speed_dial":
        number, label = s.value
        text = f"speed dial {s.key} -> {number}" + (f" ({label})" if label else "")
    elif s.kind == "group":
        text = f"group {s.key} members: {listed}"
    else:
        text = f"menu {s.key} prompt: {listed}"
    return f"    {s.where()}  {text}"


def describe(deps: Departments, site: Site, slug: str) -> list[str]:
    """The lines `autocom departments` prints for one department (pure)."""
    dep = deps.declared[slug]
    may = dep.may
    users = [u.extension for u in site.users if u.department == dep.name]
    lines = [
        f"{slug}: {dep.name} ({deps.file}:{deps.lines.get(('departments', slug))})",
        f"  users:           {', '.join(users) or 'none (no site user has this department)'}",
        f"  may assign:      {', '.join(may.assign) or '-'}",
        f"  speed dials:     {may.speed_dials or '-'}",
        f"  groups' members: {', '.join(may.groups) or '-'}",
        f"  menus' prompts:  {', '.join(may.prompts) or '-'}",
    ]
    mine = [s for s in deps.settings if s.department == slug]
    lines.append("  its fragments set:" if mine else "  its fragments set nothing")
    return lines + [_setting(s) for s in mine]


def cmd_departments(args: argparse.Namespace, cli: CliContext) -> int:
    config = cli.load()
    deps = config.departments
    if deps is None:
        print(f"no departments: in {config.path} (docs/departments.md)", file=sys.stderr)
        return 2
    if args.name is not None and args.name not in deps.declared:
        known = ", ".join(deps.declared) or "none"
        print(f"no department {args.name!r} in {deps.file} (known: {known})", file=sys.stderr)
        return 2
    for slug in [args.name] if args.name else list(deps.declared):
        print("\n".join(describe(deps, config.site, slug)))
    return 0
