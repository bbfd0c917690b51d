"""What a feature (an app under apps/) gives the framework.

A feature is an object built from an entry point of the group
``autocom.features`` (autocom/features.py; no registration at import time).
The framework asks it for its rule model, its AGI hooks, its HTTP routes and its
CLI commands; it never looks inside.
Every method has a do-nothing default so a feature overrides only what it has.
"""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from autocom.agi.errors import AgiDeclined
from autocom.config.errors import ConfigIssue
from autocom.site.patterns import overlap_example

if TYPE_CHECKING:
    from aiohttp import web

    from autocom.agi.plan import Plan
    from autocom.agi.protocol import AgiEnvironment
    from autocom.agi.session import AgiSession
    from autocom.ari.lamps import LampKeeper, LampSpec
    from autocom.context import AppContext, CliContext
    from autocom.departments import Departments
    from autocom.loader import Config
    from autocom.site.model import Site


class AgiRequest(NamedTuple):
    """What a hook gets for one FastAGI call (immutable; a named tuple, one per call,
    cheaper to build than a frozen dataclass)."""

    session: AgiSession  # typed AGI commands
    config: Config  # the config snapshot taken when the call came in
    ctx: AppContext  # store, clock, metrics, other features
    now: datetime  # ctx.clock.now() when the call came in

    @property
    def env(self) -> AgiEnvironment:
        """Script, args, query, caller id, channel, uniqueid... (the session's environment)."""
        return self.session.env

    async def degraded(self, feature: str, part: str = "store") -> None:
        """This call's decision was taken without ``part`` (the state store): tell the
        dialplan (``AUTOCOM_DEGRADED=<part>``, beside the verdict) and /metrics."""
        self.ctx.metrics.degraded(feature, part)
        await self.session.set_variable(DEGRADED_VAR, part)

    def arg(self, index: int) -> str:
        """The dialplan's argument ``index`` (0 = ``agi_arg_1``), blanks stripped;
        ``''`` when it was not passed."""
        args = self.session.env.args
        return args[index].strip() if len(args) > index else ""

    def args(self, count: int) -> tuple[str, ...]:
        """The dialplan's first ``count`` arguments, as ``arg`` gives each."""
        given = self.session.env.args
        return tuple([a.strip() for a in given[:count]] + [""] * (count - len(given)))


Hook = Callable[[AgiRequest], Awaitable[None]]
# A hook that decides from the request alone and returns the commands to send
# (autocom.agi.plan): the server runs it without a task.
PlanHook = Callable[[AgiRequest], "Plan"]
# Set by a hook whose decision was taken without a part it needs, e.g. "store";
# unset otherwise (docs/dialplan.md)
DEGRADED_VAR = "AUTOCOM_DEGRADED"


class FeatureNotConfigured(AgiDeclined):
    """An AGI script of a feature that autocom.yaml does not name under ``rules:``:
    nothing is done and nothing set (AGISTATUS=SUCCESS: the dialplan goes on as if
    the feature did not exist); the session is logged with outcome ``not_configured``."""

    outcome = "not_configured"


@dataclass(frozen=True)
class HookRoute:
    """AGI(agi://host/<script>...) is served by ``hook``."""

    script: str
    hook: Hook


@dataclass(frozen=True)
class PlanRoute:
    """AGI(agi://host/<script>...) is served by the commands ``plan`` returns."""

    script: str
    plan: PlanHook


# A CLI command: gets the parsed args and the CLI context, returns the exit status.
Command = Callable[[argparse.Namespace, "CliContext"], int]


class Commands:
    """Where features add CLI sub-commands: top level, or under `autocom explain`."""

    def __init__(
        self,
        top: argparse._SubParsersAction[argparse.ArgumentParser],
        explain: argparse._SubParsersAction[argparse.ArgumentParser],
        feature: str = "",
    ) -> None:
        self._top = top
        self._explain = explain
        self.feature = feature  # the feature adding commands: `autocom` checks it runs

    def of(self, feature: str) -> Commands:
        """The same places, for the commands of ``feature``."""
        return Commands(self._top, self._explain, feature)

    def add(
        self, name: str, help: str, run: Command, *, always: bool = False
    ) -> argparse.ArgumentParser:
        """`autocom NAME`; ``always``: it runs even when the feature does not (a
        command about the running server, e.g. `autocom status`)."""
        parser = self._top.add_parser(name, help=help, description=help)
        parser.set_defaults(run=run, feature="" if always else self.feature)
        return parser

    def add_group(
        self, name: str, help: str
    ) -> argparse._SubParsersAction[argparse.ArgumentParser]:
        """`autocom NAME <sub>`: returns the sub-parsers; each sets run= itself."""
        parser = self._top.add_parser(name, help=help, description=help)
        parser.set_defaults(feature=self.feature)
        sub = parser.add_subparsers(dest=f"{name}_command", required=True, metavar="COMMAND")
        return sub

    def add_explain(self, name: str, help: str, run: Command) -> argparse.ArgumentParser:
        parser = self._explain.add_parser(name, help=help, description=help)
        parser.set_defaults(run=run, feature=self.feature)
        return parser


@dataclass(frozen=True)
class CodeClaim:
    """A dialplan extension a feature answers to in the internal contexts (a feature
    code "*21" or a pattern "_*21."), and where it is configured."""

    code: str  # as rendered in the dialplan: plain extension or "_" pattern
    what: str  # e.g. "forward code unconditional"
    file: str  # the rule file, or the dialplan file of a fixed code
    line: int | None = None

    def where(self) -> str:
        return f"{self.file}:{self.line}" if self.line is not None else self.file


def code_collisions(claims: Mapping[str, Sequence[CodeClaim]]) -> list[ConfigIssue]:
    """Claims of two different features that can match the same dialed string
    (``overlap_example``): one issue per pair of claims (the first dialplan
    extension of each pair of file:lines), at the later claim, naming both
    file:lines.  A feature checks its own codes against each other itself."""
    issues: list[ConfigIssue] = []
    reported: set[tuple[str, str, str, str]] = set()
    flat = [(feature, claim) for feature, own in claims.items() for claim in own]
    for i, (fa, a) in enumerate(flat):
        for fb, b in flat[i + 1 :]:
            if fa == fb:
                continue
            key = (a.what, a.where(), b.what, b.where())
            if key in reported:
                continue
            example = overlap_example(a.code, b.code)
            if example is None:
                continue
            reported.add(key)
            issues.append(
                ConfigIssue(
                    b.file,
                    b.line,
                    f"{fb}: {b.what} ({b.code} in the dialplan) and {fa}: {a.what} "
                    f"({a.code} in the dialplan, {a.where()}): both match {example}, and "
                    "Asterisk runs only one of them for a number",
                    f"change one of the two codes: {b.where()} or {a.where()}",
                )
            )
    return issues


class Feature:
    """Base class of every feature; override what the feature has."""

    name: str = ""  # key under `rules:` in autocom.yaml, e.g. "time_rules"
    lamps: LampKeeper | None = None  # the keeper of lamp_spec(), while the server runs
    # What an admin writes in the rule file to say "none" (an empty file is refused,
    # as a save cut short looks the same), e.g. "filters: []"
    none_example: str = "a key of the file with an empty value, e.g. `key: []`"
    # load_rules reads nothing but its rule file and the site: a reload keeps the
    # loaded rules when neither file's bytes changed (a large rule file is not
    # parsed and compiled again when another file was edited)
    rules_from_file_only: bool = False

    def load_rules(self, path: Path | None, site: Site) -> Any:
        """Read and validate this feature's rule file (None: no file named).

        Raise autocom.config.ConfigError listing every problem found.  The
        returned object is what ``config.rules[self.name]`` holds.
        """
        return None

    def reload_rules(self, path: Path | None, site: Site, previous: Any) -> Any:
        """``load_rules`` on a reload; ``previous``: the rules the running config
        holds, for a feature that keeps what an edit did not change (time_rules
        keeps the classes whose text is the same).  Default: load again."""
        return self.load_rules(path, site)

    def merge_departments(self, rules: Any, departments: Departments) -> Any:
        """``rules`` (what ``load_rules`` returned) with what the departments'
        fragments set for this feature (docs/departments.md); they were checked
        against the site and departments.yaml first.  Raise ConfigError naming the
        fragment's file:line for what only this feature can refuse."""
        return rules

    def check(self, config: Config) -> list[ConfigIssue]:
        """Cross-file checks run by `autocom check` and at every (re)load."""
        return []

    def codes(self, config: Config) -> Sequence[CodeClaim]:
        """The extensions this feature puts in every internal context (feature codes),
        each with its file:line; the loader refuses two features' codes that can
        match the same dialed number (see ``code_collisions``)."""
        return ()

    def hooks(self) -> Sequence[HookRoute | PlanRoute]:
        return ()

    def http_routes(self, ctx: AppContext) -> Sequence[web.AbstractRouteDef]:
        """Routes the phones call, on the phone listener (``http:``)."""
        return ()

    def admin_routes(self, ctx: AppContext) -> Sequence[web.AbstractRouteDef]:
        """Routes for admins and monitors, on the admin listener (``admin:``)."""
        return ()

    def add_commands(self, commands: Commands) -> None:
        return None

    def lamp_spec(self, ctx: AppContext) -> LampSpec | None:
        """The BLF lamps this feature keeps in step with its state (autocom.ari.lamps);
        the server's lifespan runs their keeper, as ``self.lamps``, when autocom.yaml
        has ari:."""
        return None

    async def start(self, ctx: AppContext) -> None:
        """Open long-lived resources (LDAP pool, ARI link) when the server starts."""

    async def stop(self) -> None:
        """Close them at shutdown."""
