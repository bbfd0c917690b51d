"""Forwards with external forward blocking: feature codes, lamps, checks when set and rung."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from pathlib import Path

from apps.forwards import cli, hooks
from apps.forwards.lamps import LampSync
from apps.forwards.rules import ForwardsRules
from autocom.config import ConfigIssue, load_yaml, validate
from autocom.context import AppContext
from autocom.feature import Commands, Feature, HookRoute
from autocom.loader import Config
from autocom.site.model import Site


class ForwardsFeature(Feature):
    name = "forwards"

    def __init__(self) -> None:
        self.lamps: LampSync | None = None  # running when autocom.yaml has ari:
        self._task: asyncio.Task[None] | None = None

    def load_rules(self, path: Path | None, site: Site) -> ForwardsRules:
        if path is None:
            return ForwardsRules()
        return validate(ForwardsRules, load_yaml(path))

    def check(self, config: Config) -> list[ConfigIssue]:
        issues: list[ConfigIssue] = []
        rules = config.rules.get(self.name)
        if config.rules.get("time_rules") is None:
            issues.append(
                ConfigIssue(
                    str(config.path),
                    None,
                    "forwards need call rights to check forwards to outside numbers",
                    "name a time_rules file under rules: (e.g. 'time_rules: rights.yaml')",
                )
            )
        if isinstance(rules, ForwardsRules):
            codes = rules.codes
            where = str(rules.source) if rules.source else str(config.path)
            file, _, line = where.rpartition(":")
            for code in (codes.unconditional, codes.no_answer, codes.busy, codes.cancel_all):
                for user in config.site.users:
                    if user.extension.startswith(code):
                        issues.append(
                            ConfigIssue(
                                file or where,
                                int(line) if line.isdigit() else None,
                                f"forward code {code!r} shadows extension {user.extension} "
                                f"({user.source or 'site'})",
                                "choose another code under codes:",
                            )
                        )
        return issues

    def hooks(self) -> Sequence[HookRoute]:
        return (
            HookRoute("forward-code", hooks.forward_code),
            HookRoute("forward-ring", hooks.forward_ring),
            HookRoute("forward-phone", hooks.forward_phone),
        )

    def add_commands(self, commands: Commands) -> None:
        cli.add_commands(commands)

    async def start(self, ctx: AppContext) -> None:
        """Keep the lamps in step with the state store (when autocom.yaml has ari:)."""
        config = ctx.config.current
        if config.settings.ari is None:
            return
        self.lamps = LampSync(config.settings.ari)

        def current() -> tuple[Site, object]:
            now = ctx.config.current
            return now.site, now.rules.get(self.name)

        self._task = asyncio.create_task(
            self.lamps.run(current, ctx.store), name="autocom-forwards-lamps"
        )

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self.lamps is not None:
            await self.lamps.close()
            self.lamps = None


__all__ = ["ForwardsFeature"]
