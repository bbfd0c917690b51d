"""`autocom portal passwd LOGIN`: set a local account's password (hashed, scrypt)."""

from __future__ import annotations

import argparse
import getpass
import sys

from apps.portal.accounts import write_account
from apps.portal.rules import PortalRules
from autocom.context import CliContext
from autocom.feature import Commands


def add_commands(commands: Commands) -> None:
    group = commands.add_group("portal", "the web portal's local accounts")
    pw = group.add_parser("passwd", help="set a local account's password (asked twice)")
    pw.add_argument("login")
    pw.add_argument("--stdin", action="store_true", help="read the password from one line of stdin")
    pw.set_defaults(run=cmd_passwd)


def _password(args: argparse.Namespace) -> str | None:
    if args.stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("password: ")
    if getpass.getpass("again: ") != first:
        print("autocom portal passwd: the two passwords differ", file=sys.stderr)
        return None
    return first


def cmd_passwd(args: argparse.Namespace, cli: CliContext) -> int:
    rules = cli.load().rules.get("portal")
    if not isinstance(rules, PortalRules) or not rules.accounts:
        print(
            "autocom portal passwd: no accounts file: name a portal file under rules: in "
            "autocom.yaml, with accounts: portal-accounts.txt in it",
            file=sys.stderr,
        )
        return 1
    password = _password(args)
    if password is None:
        return 1
    if len(password) < 10:
        print("autocom portal passwd: write at least 10 characters", file=sys.stderr)
        return 1
    try:
        write_account(rules.resolve(rules.accounts), args.login, password)
    except ValueError as exc:
        print(f"autocom portal passwd: {exc}", file=sys.stderr)
        return 1
    print(f"{args.login}: password set in {rules.resolve(rules.accounts)}")
    return 0
