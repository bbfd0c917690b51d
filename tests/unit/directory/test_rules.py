"""directory.yaml: defaults, errors with file:line and what to write instead."""

from __future__ import annotations

from pathlib import Path

import pytest

from apps.directory import DirectoryFeature
from apps.directory.compile import load_rules
from apps.directory.rules import DirectoryRules
from autocom.config import ConfigError
from autocom.config.model import validate
from autocom.config.yaml_source import load_yaml
from autocom.directory import AttributeMap
from autocom.site.model import Site

EXAMPLES = Path(__file__).parents[3] / "examples"
SITE = validate(Site, load_yaml(EXAMPLES / "site.yaml"))


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "directory.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_example_loads() -> None:
    rules = load_rules(EXAMPLES / "directory.yaml", SITE)
    assert list(rules.memory) == ["site", "annuaire"]
    assert rules.plan.line_prefix == "0"  # from site.yaml's outgoing context
    assert rules.plan.canonical("0389336001") == "2001"  # a DID of the site
    assert rules.where("caller_name").endswith("directory.yaml:30")


def test_no_file_means_the_site_users() -> None:
    rules = load_rules(None, SITE)
    assert list(rules.memory) == ["site"] and rules.model.phones.allow == ("127.0.0.0/8", "::1/128")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("caller_name:\n  formats: ['{NAME} {evil.__class__}']\n", ":2: caller_name.formats"),
        ("caller_name:\n  formats: ['{NAME!r}']\n", "is not a field"),
        ("phones:\n  allow: [10.0.0.300/8]\n", "write a subnet such as 10.0.0.0/8"),
        ("phones:\n  vendors: [nokia]\n", "vendor 'nokia'"),
        ("phones:\n  auth: {username: p}\n", ":2: phones.auth has no password"),
        ("sources:\n  - {type: ldap, servers: [http://x], base: dc=x}\n", "write ldap://host"),
        ("sources:\n  - {type: ldap, servers: [ldap://x], base: dc=x, filter: 'uid=*'}\n",
         "write an LDAP filter"),
        ("sources:\n  - {type: site}\n  - {type: site}\n", "two sources are named 'site'"),
        ("sources:\n  - {type: file, path: nowhere.csv}\n", "nowhere.csv: cannot read file"),
        ("sources:\n  - {type: ldap, servers: [ldap://x], base: dc=x, password_file: no}\n",
         ":2: cannot read"),
        ("phones:\n  auth: {username: p, password_file: missing.secret}\n",
         "missing.secret: No such file or directory"),
        ("numbers:\n  extension_dids: [{prefix: '0388', length: 4}]\n", "write it in E.164"),
    ],
)  # fmt: skip
def test_errors(tmp_path: Path, text: str, expected: str) -> None:
    with pytest.raises(ConfigError) as err:
        load_rules(write(tmp_path, text), SITE)
    assert expected in str(err.value)


def test_secrets_from_files(tmp_path: Path) -> None:
    (tmp_path / "ldap.secret").write_text("s3cret\n", encoding="utf-8")
    (tmp_path / "phones.secret").write_text("ph0ne\n", encoding="utf-8")
    rules = load_rules(
        write(
            tmp_path,
            "sources:\n  - {type: ldap, name: rh, servers: ldap://h, base: dc=x,"
            " password_file: ldap.secret, attributes: {department: ou}}\n"
            "phones:\n  auth: {username: p, password_file: phones.secret}\n",
        ),
        SITE,
    )
    assert rules.ldap["rh"].password == "s3cret"
    assert rules.ldap["rh"].attributes.department == ("ou",)
    assert rules.phone_password == "ph0ne"


def test_check_warns_about_an_open_phonebook(tmp_path: Path) -> None:
    from autocom.config.settings import Settings
    from autocom.loader import Config

    rules = load_rules(write(tmp_path, "phones:\n  allow: []\n"), SITE)
    config = Config(tmp_path / "autocom.yaml", Settings(), SITE, {"directory": rules})
    issues = DirectoryFeature().check(config)
    assert len(issues) == 1 and "open to any address" in issues[0].message
    assert issues[0].line == 1


def test_ldap_search_key_is_read() -> None:
    text = "sources:\n  - {type: ldap, name: hr2, servers: [ldap://h], base: dc=y,"
    text += " attributes: {search_key: autocomSearchKey}}\n"
    rules = load_rules_text(text)
    assert rules.ldap["hr2"].attributes.search_key == "autocomSearchKey"
    with pytest.raises(ConfigError, match="not an LDAP attribute name"):
        load_rules_text(text.replace("autocomSearchKey", "'bad key)'"))


def test_ldap_index_is_read() -> None:
    text = "sources:\n  - {type: ldap, name: hr4, servers: [ldap://h], base: dc=y}\n"
    default = load_rules_text(text).ldap["hr4"].index  # the default: read into memory
    assert default is not None and (default.refresh, default.max_age) == (60, 600)
    off = load_rules_text(text.replace("dc=y}", "dc=y, index: false}"))
    assert off.ldap["hr4"].index is None  # every search asks the server
    for on in ("index: null", "index: true", "index: {}"):  # null: "index:" with nothing
        assert load_rules_text(text.replace("dc=y}", f"dc=y, {on}}}")).ldap["hr4"].index == default
    with pytest.raises(ConfigError, match=r":2: .*index"):
        load_rules_text(text.replace("dc=y}", "dc=y, index: maybe}"))
    indexed = load_rules_text(text.replace("dc=y}", "dc=y, index: {refresh: 30}}"))
    index = indexed.ldap["hr4"].index
    assert index is not None and (index.refresh, index.max_age) == (30, 600)
    with pytest.raises(ConfigError, match=r":2: .*refresh"):
        load_rules_text(text.replace("dc=y}", "dc=y, index: {refresh: 0}}"))


def test_ldap_attributes_reach_the_source() -> None:
    text = "sources:\n  - {type: ldap, name: hr3, servers: [ldap://h], base: dc=y,"
    text += " attributes: {name: surname, numbers: {office: ipPhone, mobile: [mobile, pager]}}}\n"
    attributes = load_rules_text(text).ldap["hr3"].attributes
    assert attributes.name == ("surname",)  # one name or a list
    assert attributes.numbers == {"office": ("ipPhone",), "mobile": ("mobile", "pager")}
    assert attributes.first_name == ("givenName",)  # the inetOrgPerson default
    assert attributes == AttributeMap(
        name=("surname",), numbers={"office": ("ipPhone",), "mobile": ("mobile", "pager")}
    )


def load_rules_text(text: str) -> DirectoryRules:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        return load_rules(write(Path(tmp), text), SITE)


def test_merge_on_reaches_the_directory_and_bad_keys_are_refused() -> None:
    from apps.directory.service import build_directory

    text = "merge_on: [uid, extension]\nsources:\n  - {type: site}\n"
    text += "  - {type: ldap, name: rh, servers: [ldap://h], base: dc=y, attributes: {uid: uid}}\n"
    rules = load_rules_text(text)
    assert rules.ldap["rh"].attributes.uid == ("uid",)
    assert build_directory(rules).merge_on == ("uid", "extension")
    assert load_rules(None, SITE).model.merge_on == ("name_number", "email")
    with pytest.raises(ConfigError, match=r"directory.yaml:1: merge_on.1: Input should be"):
        load_rules_text("merge_on: [uid, phone]\n")
