"""Boss/secretary filtering: several bosses, secretaries (users or hunt groups), every device."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from apps.boss_secretary import checks, cli, compile, hooks, lamps, service, state
from apps.boss_secretary.checks import toggle_claim
from apps.boss_secretary.replay import replay as replay_past
from apps.boss_secretary.rules import FilterRules
from autocom.ari.lamps import LampSpec
from autocom.config import ConfigIssue
from autocom.context import AppContext
from autocom.feature import CodeClaim, Commands, Feature, HookRoute
from autocom.loader import Config
from autocom.services import BossFilterView, Change
from autocom.site.model import Site
from autocom.store.base import StateStore
from autocom.whatif.replay import Replay


class BossSecretaryFeature(Feature):
    name = "boss_secretary"
    none_example = "`filters: []`"

    def load_rules(self, path: Path | None, site: Site) -> FilterRules:
        return compile.load_rules(path, site)

    def check(self, config: Config) -> list[ConfigIssue]:
        return checks.check(config)

    def codes(self, config: Config) -> Sequence[CodeClaim]:
        return (toggle_claim(),)

    def hooks(self) -> Sequence[HookRoute]:
        return (
            HookRoute("bsfilter", hooks.bsfilter),
            HookRoute("bsfilter-toggle", hooks.bsfilter_toggle),
        )

    def add_commands(self, commands: Commands) -> None:
        cli.add_commands(commands)

    async def start(self, ctx: AppContext) -> None:
        """The filter states and added VIPs in memory, to decide on through a store outage."""
        await ctx.last_known.snapshot(ctx.store, state.NAMESPACE)
        await ctx.last_known.snapshot(ctx.store, state.VIP_NAMESPACE)

    def lamp_spec(self, ctx: AppContext) -> LampSpec:
        """The filters' lamps, in step with the state store (when autocom.yaml has ari:)."""
        return LampSpec(self.name, lamps.wanted, lamps.interval)

    async def replay(self, store: StateStore, current: Config, new: Config) -> Replay:
        """autocom.services.ReplayService: the bsfilter decision, with today's switches."""
        return await replay_past(store, current, new)

    async def filters_for(self, ctx: AppContext, user: str) -> list[BossFilterView]:
        return await service.filters_for(ctx, user)

    async def change_vip(
        self, ctx: AppContext, user: str, boss: str, number: str, add: bool
    ) -> Change:
        return await service.change_vip(ctx, user, boss, number, add)

    async def switch_filter(self, ctx: AppContext, user: str, boss: str, on: bool) -> Change:
        return await service.switch(ctx, user, boss, on)


__all__ = ["BossSecretaryFeature"]
