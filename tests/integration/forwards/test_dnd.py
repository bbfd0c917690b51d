"""Do-not-disturb (*78 / *79) through the real AGI server and a real redis-server.

Set from a tandem's numberless DECT secondary, it is the main user's; the user
hook then answers ``dnd:`` (not rung, busy), kept through a Redis outage.
Asterisk's side is the named fake of tests.integration.agi.fake_asterisk.
"""

from __future__ import annotations

from pathlib import Path

from apps import features
from autocom.app import Server, running
from tests.integration.agi.fake_asterisk import asterisk_answer, fake_call
from tests.integration.forwards.test_outage import write_config
from tests.support.redis_server import RedisServer
from tests.unit.agi.samples import env_with


async def code_from(srv: Server, channel: str, callerid: str, dialed: str) -> dict[str, str]:
    answer = asterisk_answer()
    env = env_with(network_script="forward-code", channel=channel, arg_1=callerid, arg_2=dialed)
    result = await fake_call(srv.agi_port, "forward-code", answer, env=env)
    assert result.status == "SUCCESS", result
    return dict(answer.store)  # type: ignore[attr-defined]


async def ring(srv: Server, user: str, phase: str = "unconditional") -> dict[str, str]:
    answer = asterisk_answer()
    env = env_with(network_script="forward-ring", arg_1=user, arg_2=phase, arg_3="")
    result = await fake_call(srv.agi_port, "forward-ring", answer, env=env)
    assert result.status == "SUCCESS", result
    return dict(answer.store)  # type: ignore[attr-defined]


async def test_dnd_from_a_tandem_secondary_silences_the_main_user(
    tmp_path: Path, redis_server: RedisServer
) -> None:
    config = write_config(tmp_path, redis_server)
    async with running(config, features(), agi_port=0, watch=False) as srv:
        assert await ring(srv, "2010") == {"AUTOCOM_FWD": ""}
        on = await code_from(srv, "PJSIP/zimmer-dect-00000001", "2010", "*78")
        assert on == {"AUTOCOM_FWD_PROMPT": "do-not-disturb&activated"}
        assert await ring(srv, "2010") == {"AUTOCOM_FWD": "dnd:"}
        # only before ringing: the no-answer / busy phases keep their forwards
        assert await ring(srv, "2010", "busy") == {"AUTOCOM_FWD": ""}
        assert await ring(srv, "2001") == {"AUTOCOM_FWD": ""}  # others untouched

        redis_server.kill()  # the last known DND holds through an outage
        assert await ring(srv, "2010") == {"AUTOCOM_DEGRADED": "store", "AUTOCOM_FWD": "dnd:"}
        off = await code_from(srv, "PJSIP/zimmer-dect-00000002", "2010", "*79")
        assert off["AUTOCOM_FWD_PROMPT"] == "beeperr&cannot-complete-as-dialed"
