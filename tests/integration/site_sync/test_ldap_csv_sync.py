"""Site sources on real parts: an HR directory in a real slapd (paged past its
size limit, attribute names configured, managers by DN), a CSV export, and
`autocom site sync` from the command line."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from autocom.cli import main
from autocom.site.sync.ldap_source import read_ldap_source
from autocom.site.sync.records import SourceFailed
from autocom.site.sync.settings import LdapSource
from tests.support.slapd import BASE, Slapd, generate_people

pytestmark = pytest.mark.integration

PEOPLE = 620  # more than slapd's size limit (500): the search must page


@pytest.fixture(scope="module")
def hr(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Slapd]:
    server = Slapd(tmp_path_factory.mktemp("hr"), generate_people(PEOPLE), with_search_keys=False)
    server.start()
    # u000001 and u000002 report to u000000 (manager holds a DN, as in inetOrgPerson)
    ldif = "".join(
        f"dn: uid=u{n:06d},{server.base}\nchangetype: modify\nadd: manager\n"
        f"manager: uid=u000000,{server.base}\n\n"
        for n in (1, 2)
    )
    done = subprocess.run(
        ["ldapmodify", "-x", "-H", server.url, "-D", f"cn=admin,{BASE}", "-w", "admin-secret"],
        input=ldif.encode(), capture_output=True, timeout=30,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr.decode()
    try:
        yield server
    finally:
        server.stop()


def ldap_settings(server: Slapd, **kw: object) -> LdapSource:
    spec = json.loads(server.source_yaml()) | {"timeout": 2} | kw
    return LdapSource.model_validate(spec)


async def test_every_person_is_read_with_configured_attributes(hr: Slapd) -> None:
    source = ldap_settings(
        hr, attributes={"department": "ou", "uid": ""}, context="staff", extension_digits=6
    )
    data = await read_ldap_source(source, Path("."))
    assert len(data.users) == PEOPLE
    first = hr.people[1]
    rec = {u.extension: u for u in data.users}[first.extension]
    assert (rec.name, rec.first_name, rec.department, rec.title, rec.email) == (
        first.sn,
        first.given_name,
        first.department,
        first.title,
        first.mail,
    )
    assert rec.context == "staff"
    assert rec.manager == f"uid=u000000,{hr.base}"
    assert (rec.ref, rec.uid) == (f"uid=u000001,{hr.base}", "")  # uid: '' maps none


async def test_extension_is_the_last_digits(hr: Slapd) -> None:
    data = await read_ldap_source(ldap_settings(hr, extension_digits=4), Path("."))
    assert {u.extension for u in data.users} == {p.extension[-4:] for p in hr.people}


async def test_wrong_password_and_down_fail_the_source(hr: Slapd) -> None:
    with pytest.raises(SourceFailed, match=r"rh: LDAP: .*(Credentials|bind)"):
        await read_ldap_source(ldap_settings(hr, password="wrong"), Path("."))
    hr.stop()
    try:
        with pytest.raises(SourceFailed, match="rh: LDAP: "):
            await read_ldap_source(ldap_settings(hr), Path("."))
    finally:
        hr.start()


def test_cli_sync_from_csv_and_ldap(
    hr: Slapd, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    people = hr.people[:3]
    rows = "".join(f"{p.extension},X{p.sn},ep-{p.uid}\n" for p in people)
    (tmp_path / "users.csv").write_text("extension,name,devices\n" + rows)
    ldap = hr.source_yaml(extension_digits=6)
    (tmp_path / "sync.yaml").write_text(
        f"sources:\n  - {{type: csv, path: users.csv, context: staff}}\n  - {ldap}\n"
    )
    (tmp_path / "site.yaml").write_text(
        "contexts:\n  - {name: staff, users: 400000-400999}\n"
        f'users:\n  - {{extension: "{people[2].extension}", language: en}}\n'
    )
    (tmp_path / "autocom.yaml").write_text("site: site.generated.yaml\nsync: sync.yaml\n")
    argv = ["-c", str(tmp_path / "autocom.yaml"), "site", "sync"]
    assert main([*argv, "--dry-run"], features=[]) == 0
    out = capsys.readouterr().out
    assert f"users added (3): {', '.join(p.extension for p in people)}" in out
    assert "devices added (3)" in out and "not written" in out
    assert "note: rh: 617 people match no user's extension" in out
    assert main(argv, features=[]) == 0
    assert "written: " in capsys.readouterr().out
    assert main(["-c", str(tmp_path / "autocom.yaml"), "check"], features=[]) == 0
    text = (tmp_path / "site.generated.yaml").read_text()
    boss = people[0]
    # the CSV's name (first source) stays; the HR directory fills the rest
    assert f'"name": "X{boss.sn}"' in text and f'"title": "{boss.title}"' in text
    assert f'"manager": "{boss.extension}"' in text  # DN of u000000 -> its extension
    assert f'"uid": "{boss.uid}"' in text  # for the directory's merge_on: [uid]
    hr.stop()
    try:
        assert main(argv, features=[]) == 2
        err = capsys.readouterr().err
        assert "failed: rh: LDAP" in err and "keeps the last good site" in err
    finally:
        hr.start()
    assert (tmp_path / "site.generated.yaml").read_text() == text


def test_the_example_of_docs_site_md(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import shutil

    folder = tmp_path / "sync"
    shutil.copytree(Path(__file__).parents[3] / "examples" / "sync", folder)
    argv = ["-c", str(folder / "autocom.yaml"), "site", "sync"]
    assert main([*argv, "--dry-run"], features=[]) == 0
    assert "users added (5): 2001, 2002, 2003, 2050, 2101" in capsys.readouterr().out
    assert main(argv, features=[]) == 0
    assert main(["-c", str(folder / "autocom.yaml"), "check"], features=[]) == 0
    capsys.readouterr()
    csv = folder / "users.csv"
    csv.write_text("".join(line for line in csv.open() if not line.startswith("2003,")))
    assert main(argv, features=[]) == 1
    assert "the sync would remove 1 of 5 users (20%" in capsys.readouterr().err
    assert main([*argv, "--force"], features=[]) == 0


def test_check_reads_sync_yaml(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import shutil

    folder = tmp_path / "sync"
    shutil.copytree(Path(__file__).parents[3] / "examples" / "sync", folder)
    assert main(["-c", str(folder / "autocom.yaml"), "site", "sync"], features=[]) == 0
    sync_yaml = folder / "sync.yaml"
    sync_yaml.write_text(sync_yaml.read_text().replace("max_removed_share:", "max_removed:"))
    assert main(["-c", str(folder / "autocom.yaml"), "check"], features=[]) == 1
    assert "sync.yaml:4: unknown key 'max_removed'" in capsys.readouterr().err
