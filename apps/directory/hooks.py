"""AGI hook ``callername``: put the directory's name on incoming and internal calls.

Dialplan: ``AGI(${AUTOCOM_AGI}/callername,${CALLERID(num)})`` before Dial.
The number comes from agi_arg_1 (else agi_callerid), the current name from
agi_calleridname: no round trip to gather facts.  The lookup runs within
``caller_name.budget_ms``; the hook then sends at most one command,
``SET VARIABLE "CALLERID(name)" "<name>"``, or none when the directory has no
answer in time (the call goes on with its name unchanged).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

from apps.directory.engine import LookupFacts, decide
from apps.directory.rules import DirectoryRules
from autocom.agi.errors import AgiError
from autocom.feature import AgiRequest, HookRoute

if TYPE_CHECKING:
    from apps.directory import DirectoryFeature

log = logging.getLogger("autocom.directory.hooks")


def routes(feature: DirectoryFeature) -> Sequence[HookRoute]:
    async def callername(request: AgiRequest) -> None:
        rules: DirectoryRules = request.config.rules["directory"]
        rule = rules.model.caller_name
        env = request.env
        number = request.arg(0) or env.callerid or ""
        facts = LookupFacts("unknown")
        if rule.enabled and rules.plan.canonical(number):
            service = await feature.service_for(request.config)
            # lookup_within keeps the budget itself (and serves the stale cache when
            # the sources miss it): no second timer around it
            facts = await service.lookup_within(number, rule.budget_ms / 1000)
        decision = decide(
            rule, rules.plan, number, env.calleridname, facts, rules.where("caller_name")
        )
        log.info("callername %s: %s", env.uniqueid, decision.reason)
        if decision.name is None or request.session.hung_up:
            return
        try:
            await request.session.set_variable("CALLERID(name)", decision.name)
        except AgiError as exc:  # the caller hung up meanwhile: nothing left to name
            log.info("callername %s: not set (%s)", env.uniqueid, exc)

    return (HookRoute("callername", callername),)
