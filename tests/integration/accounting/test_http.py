"""The tickets over HTTP with the real autocom server: token, JSON, phone history XML."""

from __future__ import annotations

import base64
import json
import shutil
import sqlite3
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from apps.accounting import AccountingFeature
from apps.accounting.cel import BACKLOG_FIELDS
from apps.directory import DirectoryFeature
from autocom.app import Server, running
from tests.unit.accounting.samples import answered_call

pytestmark = pytest.mark.integration

EXAMPLES = Path(__file__).parents[3] / "examples"
TOKEN = "s3cret-token-for-the-accountants"


def write_backlog(path: Path) -> None:
    """The backlog table as cel_sqlite3_custom creates it (an id column first)."""
    db = sqlite3.connect(path)
    db.execute(
        "CREATE TABLE cel (id INTEGER PRIMARY KEY AUTOINCREMENT, "
        + ", ".join(f"{c} TEXT" for c in BACKLOG_FIELDS)
        + ")"
    )
    db.commit()
    db.close()


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[tuple[Server, AccountingFeature]]:
    shutil.copy(EXAMPLES / "site.yaml", tmp_path / "site.yaml")
    (tmp_path / "autocom.yaml").write_text(
        "site: site.yaml\nstate: {path: state.sqlite}\n"
        "rules: {directory: directory.yaml, accounting: accounting.yaml}\n"
    )
    (tmp_path / "directory.yaml").write_text("sources:\n  - type: site\n")
    write_backlog(tmp_path / "cel.sqlite.db")
    (tmp_path / "accounting.yaml").write_text(
        f"backlog: cel.sqlite.db\napi_tokens: {{compta: {TOKEN}}}\n"
    )
    feature = AccountingFeature()
    async with running(
        tmp_path / "autocom.yaml",
        [DirectoryFeature(), feature],
        agi_port=0,
        http_port=0,
        watch=False,
    ) as s:
        assert feature.service is not None
        await feature.service.collector.ingest(answered_call())
        yield s, feature


async def get(server: Server, path: str, auth: str = "") -> tuple[int, bytes]:
    headers = {"Authorization": auth} if auth else {}
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"http://127.0.0.1:{server.http_port}{path}", headers=headers) as resp,
    ):
        return resp.status, await resp.read()


async def test_token_needed(server: tuple[Server, AccountingFeature]) -> None:
    s, _ = server
    assert (await get(s, "/calls"))[0] == 401
    assert (await get(s, "/calls", "Bearer wrong-token-of-some-length"))[0] == 401


async def test_json_list_and_report(server: tuple[Server, AccountingFeature]) -> None:
    s, _ = server
    status, body = await get(s, "/calls?user=2001&role=received", f"Bearer {TOKEN}")
    assert status == 200
    tickets = json.loads(body)["tickets"]
    assert [(t["id"], t["answered_by"], t["ticket_version"]) for t in tickets] == [
        ("L.10", "2001", 1)
    ]
    status, body = await get(s, "/calls/report?by=department&month=2026-12", f"Bearer {TOKEN}")
    assert status == 200
    assert [(r["key"], r["calls"]) for r in json.loads(body)["rows"]] == [("Scolarité", 1)]
    assert (await get(s, "/calls?limit=x", f"Bearer {TOKEN}"))[0] == 400


async def test_phone_history_in_the_directory_dialects(
    server: tuple[Server, AccountingFeature],
) -> None:
    s, _ = server
    basic = "Basic " + base64.b64encode(f"phone:{TOKEN}".encode()).decode()
    status, body = await get(s, "/calls/phone/yealink/2001?kind=received", basic)
    assert status == 200
    root = ET.fromstring(body)
    assert root.tag == "YealinkIPPhoneDirectory"
    names = [e.findtext("Name") for e in root.iter("DirectoryEntry")]
    assert len(names) == 1 and names[0] is not None and names[0].startswith("Reçu 04/12 ")
    assert [e.findtext("Telephone") for e in root.iter("DirectoryEntry")] == ["2002"]
    status, body = await get(s, "/calls/phone/cisco/2002?kind=dialed", basic)
    assert status == 200 and ET.fromstring(body).tag == "CiscoIPPhoneDirectory"
    assert (await get(s, "/calls/phone/nokia/2001", basic))[0] == 404
