"""The portal's pure parts: password hashes, the language choice, the login limit,
the pages' escaping, and `autocom portal passwd`."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest

from apps import features
from apps.portal.accounts import hash_password, read_accounts, verify_password, write_account
from apps.portal.decisions import DecisionIndex
from apps.portal.find import find_users
from apps.portal.i18n import pick
from apps.portal.pages import login_page, secretary_page
from apps.portal.rules import RateLimit
from apps.portal.security import LoginLimiter, Session
from autocom.cli import main
from autocom.config.errors import ConfigError
from autocom.loader import load_config
from autocom.services import BossFilterView, Change
from autocom.site.model import User
from tests.support.portal import portal_config


def test_password_hash_verifies_and_holds_no_clear_text() -> None:
    stored = hash_password("s3cret-passw0rd")
    assert stored.startswith("scrypt$") and "s3cret" not in stored
    assert verify_password("s3cret-passw0rd", stored)
    assert not verify_password("s3cret-passw0rd!", stored)
    for bad in ("", "scrypt$x", "md5$1$2$3$4$5", "scrypt$16384$8$1$!!$!!"):
        assert not verify_password("s3cret-passw0rd", bad)


def test_accounts_file_is_private_and_a_login_with_a_colon_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "accounts.txt"
    write_account(path, "alice", "first password")
    write_account(path, "bob", "second password")
    write_account(path, "alice", "third password")
    accounts = read_accounts(path)
    assert sorted(accounts) == ["alice", "bob"]
    assert verify_password("third password", accounts["alice"])
    assert path.stat().st_mode & 0o777 == 0o600
    with pytest.raises(ValueError, match="login 'a:b'"):
        write_account(path, "a:b", "whatever password")
    assert read_accounts(tmp_path / "missing.txt") == {}


@pytest.mark.parametrize(
    ("header", "cookie", "lang"),
    [
        ("", None, "fr"),
        ("en-GB,en;q=0.8", None, "en"),
        ("de-DE,fr;q=0.5,en;q=0.3", None, "fr"),
        ("en-US", "fr", "fr"),
        ("fr", "en", "en"),
        ("fr", "xx", "fr"),
    ],
)
def test_language_from_cookie_then_accept_language_else_french(
    header: str, cookie: str | None, lang: str
) -> None:
    assert pick(header, cookie) == lang


def test_login_limit_per_account_per_address_and_window() -> None:
    limiter = LoginLimiter(RateLimit(per_address=4, per_account=2, window=60))
    limiter.failed("10.0.0.1", "alice", now=0)
    assert not limiter.blocked("10.0.0.1", "alice", now=1)
    limiter.failed("10.0.0.2", "alice", now=1)
    assert limiter.blocked("10.0.0.3", "alice", now=2)  # the account, from anywhere
    assert not limiter.blocked("10.0.0.3", "bob", now=2)
    limiter.failed("10.0.0.1", "bob", now=2)
    limiter.failed("10.0.0.1", "carol", now=3)
    limiter.failed("10.0.0.1", "dave", now=3)
    assert limiter.blocked("10.0.0.1", "erin", now=4)  # the address, any account
    assert not limiter.blocked("10.0.0.1", "erin", now=62)  # the window has passed


def test_a_hostile_login_is_escaped_in_the_page() -> None:
    page = login_page("fr", "tok", "err", '"><script>alert(1)</script>')
    assert "<script>" not in page and "&quot;&gt;&lt;script&gt;" in page


def test_secretary_page_vip_lists_and_outcomes_in_both_languages() -> None:
    """The rule file's VIPs read only, each added number with its remove button, the add
    form labelled; a service's outcome said in the page's language from its code."""
    session = Session("lbernard", "2002", ("secretary",), "tok", 0.0)
    view = BossFilterView("2001", "Sophie Martin", "scolarite", True, ("_06XXXXXXXX",), ("0388",))
    refused = Change(
        False,
        "'<b>' is not a phone number",
        code="vip_bad_number",
        facts=(("boss", "2001"), ("number", "<b>")),
    )
    fr = secretary_page("fr", session, [view], refused)
    assert "Refusé : « &lt;b&gt; » n&#x27;est pas un numéro de téléphone" in fr
    assert '<p id="vip-file-2001">Du fichier filters.yaml' in fr and "_06XXXXXXXX</p>" in fr
    assert '<span id="vip-2001-0388">0388</span>' in fr
    assert '<button type="submit">Retirer 0388</button>' in fr
    assert '<label for="vip-new-2001">Numéro VIP à ajouter</label>' in fr
    assert fr.count('name="csrf" value="tok"') == 4  # logout, remove, add, toggle
    en = secretary_page("en", session, [view], refused)
    assert "Refused: &#x27;&lt;b&gt;&#x27; is not a phone number: write digits" in en
    unknown = Change(True, "done in words", code="no_such_code")
    assert "Fait : done in words" in secretary_page("fr", session, [view], unknown)


def test_portal_passwd_sets_a_hashed_password(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config = portal_config(tmp_path / "config", secure_cookies=True)
    monkeypatch.setattr(sys, "stdin", io.StringIO("a long new password\n"))
    assert main(["-c", str(config), "portal", "passwd", "newbie", "--stdin"]) == 0
    accounts = read_accounts(config.parent / "portal-accounts.txt")
    assert verify_password("a long new password", accounts["newbie"])
    assert "a long new password" not in capsys.readouterr().out
    monkeypatch.setattr(sys, "stdin", io.StringIO("short\n"))
    assert main(["-c", str(config), "portal", "passwd", "newbie", "--stdin"]) == 1
    assert "at least 10 characters" in capsys.readouterr().err


def test_find_users_by_extension_start_or_name_without_accents() -> None:
    users = [
        User(extension="2104", name="Lefèvre", first_name="Émile", context="c"),
        User(extension="2001", name="Martin", first_name="Sophie", context="c", department="Scol"),
        User(extension="3210", name="Durand", context="c"),
    ]
    assert [u.extension for u in find_users(users, "LEFEVRE")] == ["2104"]
    assert [u.extension for u in find_users(users, "emile")] == ["2104"]
    assert [u.extension for u in find_users(users, "21")] == ["2104"]  # a start, not "3210"
    assert [u.extension for u in find_users(users, "scol")] == ["2001"]
    assert find_users(users, "  ") == []
    assert len(find_users(users * 30, "2", limit=20)) == 20


def test_decision_log_matches_every_word_newest_first(tmp_path: Path) -> None:
    lines = [
        '{"event": "rights", "caller": "5001", "n": 1}',
        '{"event": "rights", "caller": "2002", "n": 2}',
        "5001 rights but not json",
        '["5001", "rights"]',
        '{"event": "Rights", "caller": "5001", "n": 3}',
    ]
    path = tmp_path / "autocom.log"
    path.write_text("cut line\n" + "\n".join(lines) + "\n")
    index = DecisionIndex(path, size=10_000)
    index.refresh()
    assert [d["n"] for d in index.search("rights 5001")] == [3, 1]
    assert [d["n"] for d in index.search("rights", limit=2)] == [3, 2]
    assert index.search("   ") == []
    tail = DecisionIndex(path, size=len(lines[-1]) + 3)
    tail.refresh()
    assert [d["n"] for d in tail.search("rights")] == [3]  # the cut line dropped
    missing = DecisionIndex(tmp_path / "missing.log")
    missing.refresh()
    assert missing.search("rights") == []


def test_decision_index_follows_appends_half_lines_and_rotation(tmp_path: Path) -> None:
    path = tmp_path / "autocom.log"
    path.write_text('{"n": 1, "w": "a"}\n{"n": 2, "w": "a"}\n{"n": 3, "w"')  # half-written
    index = DecisionIndex(path)
    index.refresh()
    assert [d["n"] for d in index.search('"a"')] == [2, 1]
    with path.open("a") as fh:
        fh.write(': "a"}\n')
    index.refresh()
    assert [d["n"] for d in index.search('"a"')] == [3, 2, 1]  # read from the offset on
    path.unlink()
    path.write_text('{"n": 9, "w": "a"}\n')  # rotated: another file
    index.refresh()
    assert [d["n"] for d in index.search('"a"')] == [9]


def test_decision_index_keeps_a_bounded_tail(tmp_path: Path) -> None:
    path = tmp_path / "autocom.log"
    index = DecisionIndex(path, size=200_000)
    for part in range(10):
        with path.open("a") as fh:
            fh.writelines(f'{{"n": {part * 5000 + i}}}\n' for i in range(5000))
        index.refresh()
    kept = index.search("n", limit=100_000)
    assert kept[0] == {"n": 49_999}  # the newest, first
    assert 200_000 <= sum(len(json.dumps(d)) + 1 for d in kept) < 200_000 + 4 * 16 * 4096
    assert [d["n"] for d in kept] == list(range(49_999, 49_999 - len(kept), -1))


def test_check_names_the_line_of_a_person_whose_extension_is_no_user(tmp_path: Path) -> None:
    main = portal_config(tmp_path / "config", secure_cookies=True)
    portal_yaml = main.parent / "portal.yaml"
    text = portal_yaml.read_text() + '  ghost: {extension: "9999"}\n'
    portal_yaml.write_text(text)
    line = text.count("\n")
    with pytest.raises(ConfigError) as caught:
        load_config(main, features())
    assert f"portal.yaml:{line}: people.ghost: extension 9999 is not a user of the site" in str(
        caught.value
    )
