"""Forwards with external forward blocking: feature codes, lamps, checks when set and rung."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from apps.forwards import checks, cli, compile, hooks, lamps, service, state
from apps.forwards.replay import replay as replay_past
from apps.forwards.rules import FORWARD_TYPES, ForwardsRules
from autocom.ari.lamps import LampSpec
from autocom.config import ConfigIssue
from autocom.context import AppContext
from autocom.feature import CodeClaim, Commands, Feature, HookRoute
from autocom.loader import Config
from autocom.services import Change, ForwardView
from autocom.site.model import Site
from autocom.store.base import StateStore
from autocom.whatif.replay import Replay


class ForwardsFeature(Feature):
    name = "forwards"
    none_example = "`codes: {}` (the default codes)"
    forward_types = FORWARD_TYPES  # autocom.services.ForwardsService

    def load_rules(self, path: Path | None, site: Site) -> ForwardsRules:
        return compile.load_rules(path, site)

    def check(self, config: Config) -> list[ConfigIssue]:
        return checks.check(config)

    def codes(self, config: Config) -> Sequence[CodeClaim]:
        rules = config.rules.get(self.name)
        if not isinstance(rules, ForwardsRules):
            return ()
        name = config.settings.rules.get(self.name)
        file = str(config.resolve(name)) if name else compile.NO_FILE
        return rules.code_claims(file)

    def hooks(self) -> Sequence[HookRoute]:
        return (
            HookRoute("forward-code", hooks.forward_code),
            HookRoute("forward-ring", hooks.forward_ring),
            HookRoute("forward-phone", hooks.forward_phone),
        )

    def add_commands(self, commands: Commands) -> None:
        cli.add_commands(commands)

    async def start(self, ctx: AppContext) -> None:
        """The forwards in memory, to decide on through a store outage."""
        await state.snapshot(ctx.last_known, ctx.store)

    def lamp_spec(self, ctx: AppContext) -> LampSpec:
        """The forward lamps, in step with the state store (when autocom.yaml has ari:)."""
        return LampSpec(self.name, lamps.wanted, lamps.interval)

    async def replay(self, store: StateStore, current: Config, new: Config) -> Replay:
        """autocom.services.ReplayService: the ring-time decision, with today's forwards."""
        return await replay_past(store)

    async def forwards_of(self, ctx: AppContext, user: str) -> list[ForwardView]:
        return await service.forwards_of(ctx.store, user)

    async def set_forward(
        self, ctx: AppContext, user: str, ftype: str, number: str, now: datetime
    ) -> Change:
        """As *21<number> (or *22, *23) dialed by ``user`` at ``now``."""
        try:
            request = service.set_request(ftype, number)
        except ValueError as exc:
            return Change(False, str(exc))
        return await service.apply(ctx, user, request, now)

    async def cancel_forwards(self, ctx: AppContext, user: str, now: datetime) -> Change:
        """As *20 dialed by ``user``: every forward off (destinations kept)."""
        return await service.apply(ctx, user, service.CANCEL_ALL, now)


__all__ = ["ForwardsFeature"]
