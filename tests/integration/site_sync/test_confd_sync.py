"""`autocom site sync` against a STAND-IN for wazo-confd (tests/support/confd/standin.py):
aiohttp on 127.0.0.1 whose every answer is validated against confd's published
description.  Paging, 401, partial pages, a total that moves, garbage, down:
each failure keeps the last good site and says why."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from autocom.config.model import validate
from autocom.config.yaml_source import load_yaml
from autocom.loader import load_config
from autocom.site.model import Site
from autocom.site.sync.confd_source import read_confd_source
from autocom.site.sync.records import SourceFailed
from autocom.site.sync.run import SyncPlan, sync_site
from autocom.site.sync.settings import ConfdSource
from tests.support.confd.standin import TOKEN, StandIn, wazo_site

pytestmark = pytest.mark.integration

OVERRIDES = """\
contexts:
  - {name: to-extern, line_prefix: "0", trunks: [trunk-orange]}
users:
  - {extension: "20000", voicemail: "20000"}
"""


@pytest.fixture
async def confd() -> AsyncIterator[StandIn]:
    server = StandIn(wazo_site(23))
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


def settings(server: StandIn, **kw: object) -> ConfdSource:
    return ConfdSource.model_validate(
        {"type": "confd", "url": server.url, "token": TOKEN, "page_size": 5, "timeout": 2, **kw}
    )


def write_config(folder: Path, server: StandIn, **source: object) -> Path:
    (folder / "autocom.yaml").write_text("site: site.generated.yaml\nsync: sync.yaml\n")
    spec = {
        "type": "confd",
        "url": server.url,
        "token_file": "confd.token",
        "page_size": 5,
        "timeout": 2,
        **source,
    }
    (folder / "sync.yaml").write_text(
        f"overrides: site.yaml\nmax_removed_share: 0.2\nsources:\n  - {json.dumps(spec)}\n"
    )
    (folder / "confd.token").write_text(TOKEN + "\n")
    (folder / "site.yaml").write_text(OVERRIDES)
    return folder / "autocom.yaml"


async def test_every_page_is_read_and_valid(confd: StandIn) -> None:
    data = await read_confd_source(settings(confd), Path("."))
    assert len(data.users) == 23
    users = [r for r in confd.requests if r.startswith("users?")]
    assert users == [f"users?limit=5&offset={n}" for n in (0, 5, 10, 15, 20)]
    assert data.dids[0].destination == "20000"


@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        ("partial", r"partial page at offset 5 \(4 items, \d+ in all\)"),
        ("total", "the total went from 23 to 24 during the sync"),
        ("garbage", "is not a confd list|ContentTypeError|JSONDecodeError"),
        ("empty", r"partial page at offset 0 \(0 items, 23 in all\)"),
    ],
)
async def test_a_bad_answer_fails_the_source(confd: StandIn, fault: str, reason: str) -> None:
    confd.fault = fault
    with pytest.raises(SourceFailed, match=reason):
        await read_confd_source(settings(confd), Path("."))


async def test_a_server_capping_the_page_size_is_read_whole(confd: StandIn) -> None:
    confd.cap = 3
    data = await read_confd_source(settings(confd), Path("."))
    assert len(data.users) == 23
    assert [r for r in confd.requests if r.startswith("users?")][:3] == [
        "users?limit=5&offset=0",
        "users?limit=5&offset=3",
        "users?limit=5&offset=6",
    ]


async def test_refused_token(confd: StandIn) -> None:
    with pytest.raises(SourceFailed, match="401, the token is refused or expired"):
        await read_confd_source(settings(confd, token="expired"), Path("."))


async def test_down(confd: StandIn) -> None:
    await confd.stop()
    with pytest.raises(SourceFailed, match=r"wazo: GET /(users|contexts|groups|incalls): Client"):
        await read_confd_source(settings(confd), Path("."))


async def test_sync_writes_a_site_the_server_loads(confd: StandIn, tmp_path: Path) -> None:
    plan = SyncPlan.load(write_config(tmp_path, confd))
    dry = await sync_site(plan, dry_run=True)
    assert dry.outcome == "dry-run" and not plan.output.exists()
    assert dry.diff is not None and len(dry.diff.users_added) == 23
    report = await sync_site(plan)
    assert report.outcome == "written", report.reasons
    assert (report.users, report.devices) == (23, 46)
    config = load_config(tmp_path / "autocom.yaml", [])
    user = config.site.user("20000")
    assert (
        user is not None and user.voicemail == "20000" and user.devices == ("u20000-0", "u20000-1")
    )
    assert config.site.group("19900") is not None
    again = await sync_site(plan)
    assert again.outcome == "unchanged"


async def test_a_failed_source_keeps_the_last_good_site(confd: StandIn, tmp_path: Path) -> None:
    plan = SyncPlan.load(write_config(tmp_path, confd))
    assert (await sync_site(plan)).outcome == "written"
    before = plan.output.read_bytes()
    confd.fault = "partial"
    report = await sync_site(plan)
    assert report.outcome == "failed"
    assert "partial page" in report.reasons[0]
    assert plan.output.read_bytes() == before
    confd.fault = None
    confd.token = "rotated"
    report = await sync_site(plan)
    assert report.outcome == "failed" and "401" in report.reasons[0]
    assert plan.output.read_bytes() == before


async def test_removing_too_many_users_needs_force(confd: StandIn, tmp_path: Path) -> None:
    plan = SyncPlan.load(write_config(tmp_path, confd))
    assert (await sync_site(plan)).outcome == "written"
    before = plan.output.read_bytes()
    del confd.data["users"][10:]  # wazo_site's data: 13 of 23 users gone
    report = await sync_site(plan)
    assert report.outcome == "refused"
    assert "remove 13 of 23 users" in report.reasons[0]
    assert plan.output.read_bytes() == before
    forced = await sync_site(plan, force=True)
    assert forced.outcome == "written"
    site = validate(Site, load_yaml(plan.output))
    assert len(site.users) == 10


async def test_duplicate_extensions_keep_the_last_good_site(confd: StandIn, tmp_path: Path) -> None:
    plan = SyncPlan.load(write_config(tmp_path, confd))
    assert (await sync_site(plan)).outcome == "written"
    before = plan.output.read_bytes()
    confd.data["users"][5]["lines"][0]["extensions"][0]["exten"] = "20001"
    report = await sync_site(plan)
    assert report.outcome == "refused"
    assert report.reasons == (
        "wazo: extension 20001 is given twice (wazo:/users/2 and wazo:/users/6)",
    )
    assert plan.output.read_bytes() == before


async def test_serve_syncs_periodically_and_reloads(confd: StandIn, tmp_path: Path) -> None:
    from autocom.app import running
    from autocom.history.store import History
    from tests.support.confd.standin import wazo_user

    path = write_config(tmp_path, confd)
    sync_yaml = tmp_path / "sync.yaml"
    sync_yaml.write_text(sync_yaml.read_text().replace("sources:", "interval: 0.1\nsources:"))
    assert (await sync_site(SyncPlan.load(path))).outcome == "written"
    async with running(path, [], agi_port=0, http_port=0, watch=False) as server:
        holder = server.ctx.config
        confd.fault = "partial"  # refused: the last good site keeps serving
        await asyncio.sleep(0.3)
        assert len(holder.current.site.users) == 23 and holder.reloads == 0
        confd.fault = None
        confd.data["users"].append(wazo_user(99, "20050"))
        for _ in range(50):
            if holder.current.site.user("20050") is not None:
                break
            await asyncio.sleep(0.05)
        assert holder.current.site.user("20050") is not None and holder.reloads == 1
        # the config history names the sync as the author of the site it wrote
        history = History(server.ctx.store)
        for _ in range(100):
            head = await history.head()
            if head is not None and head.number == 2:
                break
            await asyncio.sleep(0.05)
        assert head is not None and head.number == 2, head
        assert [(c.name, c.who) for c in head.changes] == [("site.generated.yaml", "site sync")], (
            head.changes
        )
        assert head.note == "the periodic site sync"


async def test_cannot_write_and_a_broken_last_site(confd: StandIn, tmp_path: Path) -> None:
    path = write_config(tmp_path, confd)
    sync_yaml = tmp_path / "sync.yaml"
    sync_yaml.write_text(sync_yaml.read_text() + "output: nowhere/site.generated.yaml\n")
    report = await sync_site(SyncPlan.load(path))
    assert report.outcome == "failed"
    assert report.reasons[0].startswith(f"cannot write {tmp_path}/nowhere/site.generated.yaml")
    sync_yaml.write_text(sync_yaml.read_text().replace("output: nowhere/", "output: "))
    plan = SyncPlan.load(path)
    plan.output.write_text("users: [oops\n")  # edited by hand, broken
    report = await sync_site(plan)
    assert report.outcome == "written"
    assert any("does not read" in n and "compared with an empty site" in n for n in report.notes)
    assert len(load_config(path, []).site.users) == 23
