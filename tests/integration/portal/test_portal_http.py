"""The portal over HTTP against the assembled server (examples/ config, sqlite state):
login, each role's pages and its 403s, CSRF, the login limit, the audit log, and
forwards changed through the forwards feature's own decision."""

from __future__ import annotations

import json
import re
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import aiohttp
import pytest

from apps import features
from apps.accounting import AccountingFeature
from apps.accounting.engine import Ticket
from apps.boss_secretary import state
from apps.boss_secretary.engine import decide
from apps.portal import PortalFeature
from apps.time_rules.state import PinLocks
from autocom.app import Server, running
from autocom.clock import Clock
from autocom.cluster import NAMESPACE as NODES
from autocom.cluster import NodeBeat
from autocom.rights.lockout import decide_lock
from autocom.rights.pins import STORE_NAMESPACE, hash_pin, verify_pin
from tests.support.portal import PASSWORD, portal_config
from tests.support.redis_server import RedisServer

pytestmark = pytest.mark.integration

TZ = "Europe/Paris"
DAY = datetime(2026, 11, 24, 10, 0)  # a Tuesday, office hours
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@dataclass
class Running:
    server: Server
    base: str
    folder: Path


@pytest.fixture
async def portal(tmp_path: Path) -> AsyncIterator[Running]:
    config = portal_config(tmp_path / "config", secure_cookies=False)
    feats = features()
    async with running(
        config, feats, clock=Clock(TZ, pinned=DAY), agi_port=0, http_port=0, watch=False
    ) as server:
        port = next(f for f in feats if isinstance(f, PortalFeature)).port
        yield Running(server, f"http://127.0.0.1:{port}", config.parent)


def client() -> aiohttp.ClientSession:
    return aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))


async def login(http: aiohttp.ClientSession, base: str, name: str, pw: str = PASSWORD) -> str:
    """Log in; the page landed on (its HTML)."""
    async with http.get(f"{base}/login") as page:
        token = CSRF.findall(await page.text())[0]
    async with http.post(
        f"{base}/login", data={"csrf": token, "login": name, "password": pw}
    ) as reply:
        return await reply.text()


async def csrf_of(http: aiohttp.ClientSession, url: str) -> str:
    async with http.get(url) as page:
        assert page.status == 200
        return CSRF.findall(await page.text())[0]


async def test_user_sets_and_cancels_a_forward_with_the_codes_checks(portal: Running) -> None:
    async with client() as http:
        page = await login(http, portal.base, "lbernard")
        assert "Mes renvois (2002)" in page and "Aucun renvoi." in page
        token = await csrf_of(http, f"{portal.base}/me")
        form = {"csrf": token, "type": "unconditional", "number": "2003"}
        async with http.post(f"{portal.base}/me/forwards", data=form) as reply:
            page = await reply.text()
        assert reply.status == 200 and "Fait : unconditional forward of 2002 to 2003" in page
        assert "<td>immédiat</td><td>2003</td><td>actif</td>" in page
        fwd = portal.server.ctx.features["forwards"]
        assert [f.destination for f in await fwd.forwards_of(portal.server.ctx, "2002")] == [  # type: ignore[attr-defined]
            "2003"
        ]
        form["number"] = "2002"
        async with http.post(f"{portal.base}/me/forwards", data=form) as reply:
            assert "Refusé : 2002 cannot forward to itself" in await reply.text()
        async with http.post(f"{portal.base}/me/forwards/cancel", data={"csrf": token}) as reply:
            page = await reply.text()
        assert "every forward of 2002 cancelled" in page
        assert "<td>2003</td><td>inactif</td>" in page
    text = (portal.folder / "var/portal-audit.log").read_text()
    audit = [json.loads(line) for line in text.splitlines()]
    assert [(a["who"], a["what"], a["done"]) for a in audit] == [
        ("lbernard", "forward set", True),
        ("lbernard", "forward set", False),
        ("lbernard", "forwards cancel", True),
    ]
    assert all(a["at"].startswith("2026-11-24T10:00") for a in audit)
    assert PASSWORD not in text


async def test_restricted_user_is_refused_international_in_words(portal: Running) -> None:
    async with client() as http:
        await login(http, portal.base, "restricted")
        token = await csrf_of(http, f"{portal.base}/me")
        form = {"csrf": token, "type": "unconditional", "number": "000441234567890"}
        async with http.post(f"{portal.base}/me/forwards", data=form) as reply:
            page = await reply.text()
        assert "Refusé : 5001 may not forward to international numbers now" in page
        assert (
            await portal.server.ctx.features["forwards"].forwards_of(  # type: ignore[attr-defined]
                portal.server.ctx, "5001"
            )
            == []
        )


# Every route by the role it needs; a login may use only those of its roles.
ROUTES = {
    "user": ["GET /me", "POST /me/forwards", "POST /me/forwards/cancel",
             "POST /me/speed-dials", "POST /me/speed-dials/delete", "POST /me/pin"],
    "secretary": ["GET /secretary", "POST /secretary/filter", "GET /secretary/history",
                  "POST /secretary/vip"],
    "department_admin": ["GET /department", "POST /department/unlock"],
    "helpdesk": ["GET /helpdesk", "POST /helpdesk/unlock"],
    "admin": ["GET /admin"],
}  # fmt: skip
ROLES_OF = {
    "lbernard": ("user", "secretary"),
    "smartin": ("user",),
    "hmoreau": ("helpdesk",),
    "cdir": ("department_admin",),
    "root": ("admin",),
}
HOSTILE_FORM = {"type": "unconditional", "number": "2003", "boss": "2001", "on": "0",
                "owner": "2004", "slot": "07", "new": "1234", "again": "1234"}  # fmt: skip
HOME = {"lbernard": "/me", "smartin": "/me", "hmoreau": "/helpdesk", "cdir": "/department",
        "root": "/admin"}  # fmt: skip


@pytest.mark.parametrize("name", sorted(ROLES_OF))
async def test_each_role_gets_403_on_every_route_of_the_others(portal: Running, name: str) -> None:
    """Every route of every other role answers 403, a POST even with the session's own
    CSRF token, and changes nothing."""
    before = await portal.server.ctx.store.items("forwards")
    async with client() as http:
        await login(http, portal.base, name)
        token = await csrf_of(http, f"{portal.base}{HOME[name]}")
        form = {"csrf": token, **HOSTILE_FORM}
        for role, routes in ROUTES.items():
            if role in ROLES_OF[name]:
                continue
            for route in routes:
                method, path = route.split(" ")
                async with http.request(method, f"{portal.base}{path}", data=form) as reply:
                    assert reply.status == 403, (name, route)
                    assert "Accès refusé." in await reply.text()
    assert await portal.server.ctx.store.items("forwards") == before
    assert await portal.server.ctx.store.get("filters", "2001") is None


async def test_no_session_goes_to_login_and_a_post_without_csrf_is_refused(
    portal: Running,
) -> None:
    async with client() as http:
        for path in ("/me", "/helpdesk", "/admin"):
            async with http.get(f"{portal.base}{path}", allow_redirects=False) as reply:
                assert reply.status == 303 and reply.headers["Location"] == "/login"
                assert reply.headers["Cache-Control"] == "no-store"
                assert reply.headers["Content-Security-Policy"].startswith("default-src 'none'")
        async with http.post(
            f"{portal.base}/login", data={"login": "lbernard", "password": PASSWORD}
        ) as reply:
            assert reply.status == 403  # no login form token
        await login(http, portal.base, "lbernard")
        form = {"csrf": "forged", "type": "unconditional", "number": "2003"}
        async with http.post(f"{portal.base}/me/forwards", data=form) as reply:
            assert reply.status == 403
        assert (
            await portal.server.ctx.features["forwards"].forwards_of(  # type: ignore[attr-defined]
                portal.server.ctx, "2002"
            )
            == []
        )


async def test_login_limit_per_account_then_per_address(portal: Running) -> None:
    async with client() as http:
        for _ in range(5):
            page = await login(http, portal.base, "lbernard", "wrong")
            assert "Identifiant ou mot de passe incorrect." in page
        page = await login(http, portal.base, "lbernard")  # right password, too late
        assert "Trop d&#x27;essais" in page
        assert "Mes renvois" in await login(http, portal.base, "smartin")  # another account
        for i in range(15):
            await login(http, portal.base, f"nobody{i}", "wrong")
        assert "Trop d&#x27;essais" in await login(http, portal.base, "root")  # the address


async def test_cookies_english_helpdesk_and_admin(portal: Running) -> None:
    async with client() as http:
        async with http.get(f"{portal.base}/login", headers={"Accept-Language": "en-GB"}) as page:
            assert "Log in" in await page.text()
            cookie = page.headers["Set-Cookie"]
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
        await login(http, portal.base, "hmoreau")
        query = {"caller": "5001", "dialed": "000441234567890", "at": "2026-11-24T10:00"}
        async with http.get(f"{portal.base}/helpdesk", params=query) as reply:
            page = await reply.text()
        assert 'id="verdict">deny (international)' in page
        async with http.get(f"{portal.base}/lang/en?next=/helpdesk") as reply:
            assert "Why this call?" in await reply.text()
    other = NodeBeat("other:4573", "0.1.0", "f" * 64, time.time() - 60, time.time(), 3)
    await portal.server.ctx.store.set(NODES, other.node, other.to_json())
    async with client() as http:
        page = await login(http, portal.base, "root")
        assert "Administration" in page and "portal.yaml" in page
        assert "<td>other:4573</td><td>0.1.0</td><td><code>ffffffffffff</code> ≠</td>" in page
        own = portal.server.ctx.config.current.digest[:12]
        assert f"<code>{own}</code></td>" in page  # this node: same rules, no mark
        assert 'id="last-error">aucune' in page
        assert PASSWORD not in page and "change-me" not in page


async def test_secretary_switches_her_boss_filter_and_sees_the_vip_list(portal: Running) -> None:
    store = portal.server.ctx.store
    async with client() as http:
        await login(http, portal.base, "lbernard")
        async with http.get(f"{portal.base}/secretary") as reply:
            page = await reply.text()
        assert "Sophie Martin (2001)" in page and 'id="state-2001">actif' in page
        assert "0389336000, _06XXXXXXXX, 2101" in page  # her VIP list
        assert "2101" not in page.split("Sophie Martin")[0]  # no other boss listed
        token = CSRF.findall(page)[0]
        form = {"csrf": token, "boss": "2001", "on": "0"}
        async with http.post(f"{portal.base}/secretary/filter", data=form) as reply:
            page = await reply.text()
        assert "Fait : filter of 2001 off" in page and 'id="state-2001">inactif' in page
        assert await store.get("filters", "2001") == "off"
        form = {"csrf": token, "boss": "2101", "on": "0"}  # not her boss
        async with http.post(f"{portal.base}/secretary/filter", data=form) as reply:
            assert "Refusé : 2002 is neither 2101 nor one of 2101" in await reply.text()
        assert await store.get("filters", "2101") is None
    audit = (portal.folder / "var/portal-audit.log").read_text()
    assert '"what": "filter switch", "boss": "2001", "on": false, "done": true' in audit


async def vip(http: aiohttp.ClientSession, base: str, **form: str) -> tuple[int, str]:
    """POST /secretary/vip; (status, the #outcome's text or the page)."""
    async with http.post(f"{base}/secretary/vip", data=form) as reply:
        page = await reply.text()
    found = re.search(r'id="outcome">([^<]*)<', page)
    return reply.status, found.group(1) if found else page


async def test_secretary_adds_and_removes_a_vip_the_filter_then_lets_through(
    portal: Running,
) -> None:
    """Added in the portal, kept in the store on top of filters.yaml's list, honoured by
    the decision's next call; refusals in words (French, then English), another boss's
    list forbidden, a forged token refused, each change in the audit log."""
    ctx = portal.server.ctx
    rules, site = ctx.config.current.rules["boss_secretary"], ctx.config.current.site
    before = decide(rules, site, "0388123456", "2001", DAY, {})
    assert before.action == "filter"  # the rule file alone filters this caller
    async with client() as http:
        await login(http, portal.base, "lbernard")
        token = await csrf_of(http, f"{portal.base}/secretary")
        add = {"csrf": token, "boss": "2001", "add": "1"}
        status, said = await vip(http, portal.base, **add, number="03 88 12 34 56")
        assert (status, said) == (200, "Fait : 0388123456 ajouté aux VIP de 2001.")
        async with http.get(f"{portal.base}/secretary") as reply:
            page = await reply.text()
        assert 'id="vip-2001-0388123456">0388123456<' in page
        assert "0389336000, _06XXXXXXXX, 2101</p>" in page  # filters.yaml's list as it was
        added = await state.get_vips(ctx.store, "2001")
        assert added == ("0388123456",)
        plan = decide(rules, site, "0388123456", "2001", DAY, {}, None, added)
        assert (plan.action, plan.reason) == ("direct", "VIP caller (0388123456, added)")

        refusals = {
            "06*)(x": "Refusé : « 06*)(x » n'est pas un numéro de téléphone : écrivez des",
            "0388123456": "Refusé : 0388123456 est déjà dans les VIP de 2001.",
            "0612345678": "Refusé : 0612345678 est déjà VIP par le fichier filters.yaml",
        }
        for typed, words in refusals.items():
            status, said = await vip(http, portal.base, **add, number=typed)
            assert status == 200 and said.replace("&#x27;", "'").startswith(words), said
        remove = {**add, "add": "0"}
        status, said = await vip(http, portal.base, **remove, number="0389336000")
        assert said.startswith("Refusé : 0389336000 n&#x27;a pas été ajouté par le secrétariat")
        http.cookie_jar.update_cookies({"portal_lang": "en"})
        status, said = await vip(http, portal.base, **add, number="")
        assert said.startswith("Refused: &#x27;&#x27; is not a phone number: write digits")

        other = {**add, "boss": "2101", "number": "0388000000"}
        status, _ = await vip(http, portal.base, **other)
        assert status == 403  # not her boss
        forged = {**add, "csrf": "forged", "number": "0388000000"}
        status, _ = await vip(http, portal.base, **forged)
        assert status == 403
        assert await state.get_vips(ctx.store, "2101") == ()
        assert await state.get_vips(ctx.store, "2001") == ("0388123456",)

        status, said = await vip(http, portal.base, **remove, number="0388123456")
        assert said == "Done: 0388123456 removed from the VIPs of 2001."
        assert await ctx.store.get(state.VIP_NAMESPACE, "2001") is None
    lines = [json.loads(line) for line in (portal.folder / "var/portal-audit.log").open()]
    vips = [(a["who"], a["what"], a["boss"], a["number"], a["done"]) for a in lines]
    assert vips == [
        ("lbernard", "vip add", "2001", "0388123456", True),
        ("lbernard", "vip add", "2001", "06*)(x", False),
        ("lbernard", "vip add", "2001", "0388123456", False),
        ("lbernard", "vip add", "2001", "0612345678", False),
        ("lbernard", "vip remove", "2001", "0389336000", False),
        ("lbernard", "vip add", "2001", "", False),
        ("lbernard", "vip add", "2101", "0388000000", False),  # forbidden, recorded
        ("lbernard", "vip remove", "2001", "0388123456", True),
    ]
    assert all(a["at"].startswith("2026-11-24T10:00") for a in lines)


async def test_a_vip_list_is_bounded_and_a_dead_store_changes_nothing(
    portal: Running,
) -> None:
    ctx = portal.server.ctx
    full = ",".join(f"03881234{i:02}" for i in range(50))
    await ctx.store.set(state.VIP_NAMESPACE, "2001", full)
    async with client() as http:
        await login(http, portal.base, "lbernard")
        token = await csrf_of(http, f"{portal.base}/secretary")
        add = {"csrf": token, "boss": "2001", "add": "1", "number": "0388999999"}
        _, said = await vip(http, portal.base, **add)
        assert said == "Refusé : 2001 a déjà 50 numéros VIP ajoutés : retirez-en un d&#x27;abord."
        await ctx.store.close()  # the store is gone: said in words, nothing half done
        status, said = await vip(http, portal.base, **add)
        assert status == 200 and said.startswith("Refusé : la base d&#x27;état ne répond pas")


async def test_helpdesk_finds_a_user_and_unlocks_its_pin(portal: Running) -> None:
    ctx = portal.server.ctx
    rules = ctx.config.current.rules["time_rules"]
    policy = rules.lockout
    at = ctx.clock.now().timestamp()
    for _ in range(policy.failures):  # five wrong PINs typed on 2004's account
        await PinLocks(ctx.store).record_failure(
            "2004", at, "2004", policy, lambda h: decide_lock(policy, h, at, rules.tz)
        )
    async with client() as http:
        await login(http, portal.base, "hmoreau")
        async with http.get(f"{portal.base}/helpdesk", params={"q": "durand"}) as reply:
            page = await reply.text()
        assert "<td>2004</td><td>Marc Durand</td>" in page
        assert 'id="pin-2004">bloqué' in page
        token = CSRF.findall(page)[0]
        form = {"csrf": token, "owner": "2004"}
        async with http.post(f"{portal.base}/helpdesk/unlock", data=form) as reply:
            page = await reply.text()
        assert "Fait : PIN of 2004 unlocked" in page and 'id="pin-2004">non bloqué' in page
        assert (await PinLocks(ctx.store).history("2004")).locked_until is None
        async with http.get(f"{portal.base}/helpdesk", params={"q": "LEFEB"}) as reply:
            assert "<td>2104</td><td>Emma Lefebvre</td>" in await reply.text()
    async with client() as http:  # a user may not unlock anyone's PIN
        await login(http, portal.base, "lbernard")
        token = await csrf_of(http, f"{portal.base}/me")
        form = {"csrf": token, "owner": "2004"}
        async with http.post(f"{portal.base}/helpdesk/unlock", data=form) as reply:
            assert reply.status == 403
    audit = (portal.folder / "var/portal-audit.log").read_text()
    assert '"who": "hmoreau", "what": "pin unlock", "owner": "2004", "done": true' in audit


async def test_admin_searches_the_decision_log_and_says_there_is_no_ari(portal: Running) -> None:
    log = portal.folder / "var/autocom.log"
    log.write_text(
        '{"event": "rights", "caller": "5001", "dialed": "000441234567890", "verdict": "deny"}\n'
        "not json 5001 rights\n"
        '{"event": "rights", "caller": "2002", "dialed": "0612345678", "verdict": "allow"}\n'
        '{"event": "forward-code", "user": "5001", "outcome": "refused"}\n'
    )
    portal_yaml = portal.folder / "portal.yaml"
    portal_yaml.write_text(portal_yaml.read_text() + "decision_log: var/autocom.log\n")
    assert await portal.server.ctx.config.refresh()
    async with client() as http:
        await login(http, portal.base, "root")
        async with http.get(f"{portal.base}/admin", params={"q": "5001 RIGHTS"}) as reply:
            page = await reply.text()
    assert page.count("<li><code>{") == 1  # one decision found
    assert "&quot;dialed&quot;: &quot;000441234567890&quot;" in page
    assert "0612345678" not in page and "not json" not in page
    assert 'id="calls">no ari: section in autocom.yaml' in page


async def test_user_stores_and_deletes_a_personal_speed_dial(portal: Running) -> None:
    store = portal.server.ctx.store
    async with client() as http:
        await login(http, portal.base, "lbernard")
        token = await csrf_of(http, f"{portal.base}/me")
        url = f"{portal.base}/me/speed-dials"
        form = {"csrf": token, "slot": "7", "number": "00612345678"}  # as dialed: 0 first
        async with http.post(url, data=form) as r:
            page = await r.text()
        assert "Fait : slot 07 of 2002 = 00612345678 (mobile)" in page
        assert "<td>07</td><td>00612345678</td>" in page
        assert await store.get("speeddial", "2002:07") is not None
        for slot, number, why in [
            ("100", "00612345678", "slot &#x27;100&#x27;: write 0 to 99"),
            ("08", "12345678901234567", "the numbering plan does not know"),
            ("08", "06x", "&#x27;06x&#x27; is not a number of 1 to 20 digits"),
        ]:
            form = {"csrf": token, "slot": slot, "number": number}
            async with http.post(url, data=form) as r:
                assert f"Refusé : {why}" in await r.text(), slot + number
        form = {"csrf": token, "slot": "07"}
        async with http.post(f"{url}/delete", data=form) as r:
            assert "Fait : slot 07 of 2002 deleted" in await r.text()
        assert await store.get("speeddial", "2002:07") is None


def ticket(linkedid: str, caller: str, called: str, answered: bool, start: float) -> Ticket:
    return Ticket(
        id=linkedid,
        start=start,
        answer=start + 5 if answered else None,
        end=start + 65,
        caller=caller,
        caller_name="",
        caller_user=caller if len(caller) == 4 else "",
        called=called,
        called_user=called if len(called) == 4 else "",
        answered_by=called if answered and len(called) == 4 else "",
        direction="internal",
        disposition="answered" if answered else "no_answer",
        hangup_cause=16,
        category="internal",
        rights="",
        rights_class="",
        pin="",
        payer="",
        department="",
        cost_center="",
        price=Decimal(0),
    )


async def test_user_and_secretary_see_call_histories(tmp_path: Path) -> None:
    config = portal_config(tmp_path / "config", secure_cookies=False)
    (config.parent / "accounting.yaml").write_text(
        "backlog: var/cel.sqlite\nstorage: {backend: sqlite, path: var/calls.sqlite}\n"
    )
    config.write_text(
        config.read_text().replace("rules:\n", "rules:\n  accounting: accounting.yaml\n")
    )
    feats = features()
    async with running(
        config, feats, clock=Clock(TZ, pinned=DAY), agi_port=0, http_port=0, watch=False
    ):
        acc = next(f for f in feats if isinstance(f, AccountingFeature))
        assert acc.service is not None
        at = DAY.replace(tzinfo=ZoneInfo(TZ)).timestamp()
        await acc.service.store.save_tickets(
            [
                ticket("c1", "2002", "2003", True, at - 3600),
                ticket("c2", "2004", "2002", False, at - 600),
                ticket("c3", "2004", "2001", True, at - 60),
            ]
        )
        base = f"http://127.0.0.1:{next(f for f in feats if isinstance(f, PortalFeature)).port}"
        async with client() as http:
            page = await login(http, base, "lbernard")
            assert "<td>24/11/2026 09:50</td><td>Manqué</td><td>2004</td>" in page
            assert "<td>24/11/2026 09:00</td><td>Composé</td><td>2003</td>" in page
            assert "2001" not in page.split('id="history"')[1]  # not 2002's call
            async with http.get(f"{base}/secretary/history", params={"boss": "2001"}) as reply:
                page = await reply.text()
            assert "Historique de 2001" in page
            assert "<td>24/11/2026 09:59</td><td>Reçu</td><td>2004</td>" in page
            async with http.get(f"{base}/secretary/history", params={"boss": "2101"}) as reply:
                assert reply.status == 403  # not one of his bosses


async def test_user_changes_its_pin_after_the_current_one(portal: Running) -> None:
    store = portal.server.ctx.store
    await store.set(STORE_NAMESPACE, "2002", hash_pin("1234"))
    async with client() as http:
        await login(http, portal.base, "lbernard")
        token = await csrf_of(http, f"{portal.base}/me")
        url = f"{portal.base}/me/pin"
        for current, new, again, why in [
            ("0000", "5678", "5678", "Refusé : the current PIN is wrong"),
            ("1234", "5678", "5679", "Refusé : Les deux nouveaux codes diffèrent."),
            ("1234", "12", "12", "Refusé : a PIN is 4 to 8 digits"),
            ("1234", "5678", "5678", "Fait : PIN of 2002 changed"),
        ]:
            form = {"csrf": token, "current": current, "new": new, "again": again}
            async with http.post(url, data=form) as reply:
                assert why in await reply.text(), (current, new, again)
    stored = await store.get(STORE_NAMESPACE, "2002")
    assert stored is not None and verify_pin("5678", stored)
    assert (await PinLocks(store).history("2002")).count == 1  # the wrong one counted
    audit = (portal.folder / "var/portal-audit.log").read_text()
    assert audit.count('"what": "pin change"') == 4
    assert "5678" not in audit and "1234" not in audit


async def test_department_admin_unlocks_pins_in_its_departments_only(portal: Running) -> None:
    ctx = portal.server.ctx
    rules = ctx.config.current.rules["time_rules"]
    policy, at = rules.lockout, ctx.clock.now().timestamp()
    for owner in ("2101", "2004"):
        for _ in range(policy.failures):
            await PinLocks(ctx.store).record_failure(
                owner, at, owner, policy, lambda h: decide_lock(policy, h, at, rules.tz)
            )
    async with client() as http:
        page = await login(http, portal.base, "cdir")
        assert "<td>2101</td><td>Antoine Moreau</td><td>Laboratoire MIPS</td>" in page
        assert "<td>2004</td>" not in page  # Scolarité: not this admin's
        token = CSRF.findall(page)[0]
        url = f"{portal.base}/department/unlock"
        async with http.post(url, data={"csrf": token, "owner": "2004"}) as reply:
            assert "Refusé : 2004 is not in a department you manage" in await reply.text()
        async with http.post(url, data={"csrf": token, "owner": "2101"}) as reply:
            assert "Fait : PIN of 2101 unlocked" in await reply.text()
    assert (await PinLocks(ctx.store).history("2101")).locked_until is None
    assert (await PinLocks(ctx.store).history("2004")).locked_until is not None


async def test_a_dead_redis_refuses_changes_in_words_and_pages_still_answer(
    tmp_path: Path, redis_server: RedisServer
) -> None:
    config = portal_config(tmp_path / "config", secure_cookies=False)
    text = config.read_text()
    config.write_text(text.replace("backend: sqlite", "backend: redis", 1).replace(
        "# url: redis://127.0.0.1:6379/0", f"url: {redis_server.url}", 1
    ))  # fmt: skip
    feats = features()
    async with running(
        config, feats, clock=Clock(TZ, pinned=DAY), agi_port=0, http_port=0, watch=False
    ):
        base = f"http://127.0.0.1:{next(f for f in feats if isinstance(f, PortalFeature)).port}"
        async with client() as http:
            await login(http, base, "lbernard")
            token = await csrf_of(http, f"{base}/me")
            redis_server.kill()
            form = {"csrf": token, "type": "unconditional", "number": "2003"}
            async with http.post(f"{base}/me/forwards", data=form) as reply:
                page = await reply.text()
            assert reply.status == 200
            assert "Refusé : the state store cannot be reached" in page
            async with http.get(f"{base}/secretary") as reply:
                assert reply.status == 200 and "Refusé : state store" in await reply.text()
