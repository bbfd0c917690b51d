"""Forwards and a personal speed dial through a Redis outage (a real redis-server killed).

A forward this server saw keeps being followed (not "no forward"), a change
that cannot be stored is refused, and each such decision carries
AUTOCOM_DEGRADED=store beside the verdict.  Asterisk's side is the named fake
of tests.integration.agi.fake_asterisk.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from apps import features
from autocom.app import Server, running
from tests.integration.agi.fake_asterisk import asterisk_answer, fake_call
from tests.support.redis_server import RedisServer
from tests.unit.agi.samples import env_with

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"


def write_config(folder: Path, redis: RedisServer) -> Path:
    for name in ("site.yaml", "rights.yaml", "forwards.yaml", "speeddial.yaml"):
        shutil.copy(EXAMPLES / name, folder / name)
    (folder / "autocom.yaml").write_text(
        "site: site.yaml\n"
        f"state: {{backend: redis, url: '{redis.url}', timeout: 0.5}}\n"
        "rules: {time_rules: rights.yaml, forwards: forwards.yaml, speed_dial: speeddial.yaml}\n",
        encoding="utf-8",
    )
    return folder / "autocom.yaml"


async def call(srv: Server, script: str, *args: str) -> dict[str, str]:
    """One AGI call from the dialplan; the variables the hook set."""
    answer = asterisk_answer()
    fields = {f"arg_{i}": a for i, a in enumerate(args, 1)}
    env = env_with(network_script=script, channel="Local/x-00000001;1", **fields)
    result = await fake_call(srv.agi_port, script, answer, env=env)
    assert result.status == "SUCCESS", result
    return dict(answer.store)  # type: ignore[attr-defined]


async def test_forwards_keep_their_last_known_value_through_an_outage(
    tmp_path: Path, redis_server: RedisServer
) -> None:
    config = write_config(tmp_path, redis_server)
    async with running(config, features(), agi_port=0, watch=False) as srv:
        set_fwd = await call(srv, "forward-code", "2001", "*212002")
        assert "AUTOCOM_DEGRADED" not in set_fwd and set_fwd["AUTOCOM_FWD_LAMPS"]
        ring = await call(srv, "forward-ring", "2001", "unconditional", "")
        assert ring == {"AUTOCOM_FWD": "internal:2002"}
        assert await call(srv, "forward-ring", "2003", "unconditional", "") == {"AUTOCOM_FWD": ""}

        redis_server.kill()
        # the forward seen before the outage is still followed, and said to be degraded
        ring = await call(srv, "forward-ring", "2001", "unconditional", "")
        assert ring == {"AUTOCOM_DEGRADED": "store", "AUTOCOM_FWD": "internal:2002"}
        # known to have none: rings the user; never seen here: rings the user too
        for user in ("2003", "2004"):
            ring = await call(srv, "forward-ring", user, "unconditional", "")
            assert ring == {"AUTOCOM_DEGRADED": "store", "AUTOCOM_FWD": ""}
        # a change cannot be stored: refused, and the last known forward stays
        refused = await call(srv, "forward-code", "2001", "*20")
        assert refused["AUTOCOM_DEGRADED"] == "store"
        assert refused["AUTOCOM_FWD_PROMPT"] == "beeperr&cannot-complete-as-dialed"
        ring = await call(srv, "forward-ring", "2001", "unconditional", "")
        assert ring["AUTOCOM_FWD"] == "internal:2002"
        # a personal speed dial needs the store: refused, said to be degraded
        dial = await call(srv, "speeddial", "2001", "**07", "personnel")
        assert dial["AUTOCOM_DEGRADED"] == "store" and dial["AUTOCOM_SD"].startswith("refused")
        text = srv.ctx.metrics.render()
        assert 'autocom_degraded_decisions_total{feature="forwards",reason="store"} 5.0' in text

        redis_server.start()  # back, empty (no persistence here): the store decides again
        ring = await call(srv, "forward-ring", "2001", "unconditional", "")
        assert ring == {"AUTOCOM_FWD": ""}


async def test_a_snapshot_at_start_covers_forwards_set_elsewhere(
    tmp_path: Path, redis_server: RedisServer
) -> None:
    """Forwards set on another server before this one started are known in an outage."""
    config = write_config(tmp_path, redis_server)
    async with running(config, features(), agi_port=0, watch=False) as other:
        await call(other, "forward-code", "2002", "*212003")
    async with running(config, features(), agi_port=0, watch=False) as srv:
        redis_server.kill()
        ring = await call(srv, "forward-ring", "2002", "unconditional", "")
        assert ring == {"AUTOCOM_DEGRADED": "store", "AUTOCOM_FWD": "internal:2003"}
