"""`autocom hello CALLER`: what the code plays to CALLER, without a call."""

from __future__ import annotations

import argparse

from autocom.context import CliContext
from autocom.feature import Commands
from autocom_hello.rules import HelloRules


def add_commands(commands: Commands) -> None:
    parser = commands.add("hello", "what the hello code plays to a caller", cmd_hello)
    parser.add_argument("caller", help="the caller's extension")


def cmd_hello(args: argparse.Namespace, cli: CliContext) -> int:
    rules: HelloRules = cli.load().rules["hello"]
    print(f"{args.caller} dials {rules.code}: plays {rules.greeting_for(args.caller)}")
    return 0
