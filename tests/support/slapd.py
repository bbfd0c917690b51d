"""A real OpenLDAP slapd for tests: 127.0.0.1, a free port, a temporary folder.

The server runs from a ``slapd.conf`` (back_mdb, core + cosine + inetOrgPerson
schemas) written in a temporary folder; people are loaded with ``slapadd``
before ``slapd -h ldap://127.0.0.1:PORT/`` starts.  The default size limit
(500) is kept, as on a real site, so a search that does not page is cut.

People are generated (``generate_people``): French names with accents (written
base64 in the LDIF), several numbers each (an office number derived from the
extension, sometimes a second office number, often a mobile), a department in
both ``departmentNumber`` and ``ou``, a title, a mail and a room; and, unless
``with_search_keys=False``, the ``autocomSearchKey`` values of
docs/directory.md (schema ``SEARCH_KEY_SCHEMA``, indexed eq,sub).

Fixtures (listed in tests/conftest.py's pytest_plugins):

- ``slapd_server``: one server per test session with ``DEFAULT_PEOPLE`` people.
- ``slapd``: the same server, started again if an earlier test stopped it; a
  test may ``stop()`` it (SIGTERM), ``pause()`` it (SIGSTOP: connections are
  accepted by the kernel but nothing answers, a hung LDAP), ``resume()`` it and
  ``start()`` it again on the same port.

``Slapd`` and ``generate_people`` can also be used directly (bench/ scripts).
"""

from __future__ import annotations

import base64
import json
import random
import shutil
import socket
import subprocess
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from autocom.directory.text import search_keys
from tests.support.process import ManagedServer, ServerProcess, free_port

SLAPD = shutil.which("slapd") or "/usr/sbin/slapd"
SLAPADD = shutil.which("slapadd") or "/usr/sbin/slapadd"
SCHEMA_DIR = Path("/etc/ldap/schema")
MODULE_DIR = Path("/usr/lib/ldap")
START_TIMEOUT = 20.0
DEFAULT_PEOPLE = 1200  # more than slapd's default size limit of 500

BASE = "dc=example,dc=org"
PEOPLE = f"ou=people,{BASE}"
READER_DN = f"cn=reader,{BASE}"
READER_PASSWORD = "reader-secret"

LAST_NAMES = (
    "Dupont", "Müller", "Lefèvre", "Bénard", "Schœlcher", "Élie", "Durand",
    "Martin", "Gérard", "Keller", "Weiß", "Noël", "Chevalier", "Lemaître",
    "Brücker", "Fabre", "Ménard", "Roussel", "Zimmermann", "Beaufort", "Dubois",
    "Haas", "Hervé", "Fischer", "Ollivier", "Perrin", "Sanchez", "Çelik",
    "Łukasz", "Øberg", "O'Neil", "Da Silva",
)  # fmt: skip
FIRST_NAMES = (
    "Jean", "Élodie", "Gaëlle", "Jérôme", "François", "Hélène", "Zoé", "Anaïs",
    "Noémie", "Loïc", "Cédric", "Agnès", "Stéphane", "Thérèse", "Björn", "Marie",
    "Luc", "Inès", "Raphaël", "Maëlle", "Joël", "Léa", "Émile", "Océane",
)  # fmt: skip
DEPARTMENTS = (
    "Comptabilité", "Ressources humaines", "Informatique", "Scolarité",
    "Bibliothèque", "Médecine", "Recherche", "Présidence", "Logistique",
    "Relations internationales",
)  # fmt: skip
TITLES = ("Ingénieur", "Technicienne", "Maître de conférences", "Directeur", "Secrétaire")


@dataclass(frozen=True)
class Person:
    """One generated inetOrgPerson."""

    uid: str
    sn: str
    given_name: str
    department: str
    title: str
    mail: str
    room: str
    extension: str  # internal number, the last digits of the first office number
    office: tuple[str, ...]  # telephoneNumber values, E.164 with spaces
    mobile: tuple[str, ...]  # mobile values

    @property
    def cn(self) -> str:
        return f"{self.given_name} {self.sn}"


def _spaced_e164(national: str) -> str:
    """'0388412001' -> '+33 3 88 41 20 01'."""
    rest = national[1:]
    pairs = " ".join(rest[i : i + 2] for i in range(1, len(rest), 2))
    return f"+33 {rest[0]} {pairs}"


def generate_people(count: int, seed: int = 8) -> list[Person]:
    """``count`` (< 100,000) people; extension 400000+i, office +33 3 88 <extension>."""
    rng = random.Random(seed)
    people = []
    for i in range(count):
        sn = LAST_NAMES[i % len(LAST_NAMES)]
        given = FIRST_NAMES[(i // len(LAST_NAMES)) % len(FIRST_NAMES)]
        serial = f"{i:06d}"
        extension = f"{400000 + i}"  # six digits; the office DID is +33 3 88 <extension>
        office = [_spaced_e164(f"0388{extension}")]
        if i % 5 == 0:  # a second office line
            office.append(_spaced_e164(f"0389{extension}"))
        mobile = []
        if i % 3 != 2:
            mobile.append(_spaced_e164(f"06{rng.randrange(10**8):08d}"))
        people.append(
            Person(
                uid=f"u{serial}",
                sn=sn if i < len(LAST_NAMES) else f"{sn}{_suffix(i)}",
                given_name=given,
                department=DEPARTMENTS[i % len(DEPARTMENTS)],
                title=TITLES[i % len(TITLES)],
                mail=f"u{serial}@example.org",
                room=f"B{i % 400:03d}",
                extension=extension,
                office=tuple(office),
                mobile=tuple(mobile),
            )
        )
    return people


def _suffix(i: int) -> str:
    """Distinct letters to keep family names distinct and pronounceable: 'aab', ..."""
    letters = "abcdefghijklmnopqrstuvwxyz"
    out = ""
    n = i
    for _ in range(4):
        out = letters[n % 26] + out
        n //= 26
    return "-" + out


def _attr(name: str, value: str) -> str:
    """An LDIF line; values that are not plain ASCII go base64 (RFC 2849)."""
    safe = value.isascii() and value == value.strip() and not value.startswith((":", "<"))
    if safe and all(32 <= ord(c) < 127 for c in value):
        return f"{name}: {value}\n"
    return f"{name}:: {base64.b64encode(value.encode()).decode()}\n"


# The search-key attribute of docs/directory.md: folded word starts and keypad
# digits of each person (autocom.directory.text.search_keys), indexed eq,sub.
# 1.3.6.1.4.1.32473 is the arc RFC 5612 reserves for documentation.
SEARCH_KEY = "autocomSearchKey"
SEARCH_KEY_SCHEMA = """\
attributetype ( 1.3.6.1.4.1.32473.1.1.1 NAME 'autocomSearchKey'
    DESC 'autocom directory: folded word starts and keypad digits of a name'
    EQUALITY caseIgnoreMatch
    SUBSTR caseIgnoreSubstringsMatch
    SYNTAX 1.3.6.1.4.1.1466.115.121.1.15{256} )
objectclass ( 1.3.6.1.4.1.32473.1.2.1 NAME 'autocomSearchable'
    DESC 'an entry autocom finds by its search keys'
    SUP top AUXILIARY MAY autocomSearchKey )
"""


def person_search_keys(p: Person) -> tuple[str, ...]:
    return search_keys(p.sn, p.given_name, p.department)


def people_ldif(people: Iterable[Person], *, with_search_keys: bool = True) -> Iterator[str]:
    yield (
        f"dn: {BASE}\nobjectClass: dcObject\nobjectClass: organization\no: Example\ndc: example\n\n"
    )
    yield f"dn: {PEOPLE}\nobjectClass: organizationalUnit\nou: people\n\n"
    yield (
        f"dn: {READER_DN}\nobjectClass: simpleSecurityObject\nobjectClass: organizationalRole\n"
        f"cn: reader\nuserPassword: {READER_PASSWORD}\n\n"
    )
    for p in people:
        lines = [f"dn: uid={p.uid},{PEOPLE}\n", "objectClass: inetOrgPerson\n"]
        if with_search_keys:
            lines.append("objectClass: autocomSearchable\n")
            lines.extend(_attr(SEARCH_KEY, key) for key in person_search_keys(p))
        lines.append(_attr("uid", p.uid))
        lines.append(_attr("cn", p.cn))
        lines.append(_attr("sn", p.sn))
        lines.append(_attr("givenName", p.given_name))
        lines.append(_attr("departmentNumber", p.department))
        lines.append(_attr("ou", p.department))
        lines.append(_attr("title", p.title))
        lines.append(_attr("mail", p.mail))
        lines.append(_attr("roomNumber", p.room))
        for number in p.office:
            lines.append(_attr("telephoneNumber", number))
        for number in p.mobile:
            lines.append(_attr("mobile", number))
        lines.append("\n")
        yield "".join(lines)


SLAPD_CONF = """\
include {schema}/core.schema
include {schema}/cosine.schema
include {schema}/inetorgperson.schema
include {folder}/autocom.schema
modulepath {modules}
moduleload back_mdb
pidfile {folder}/slapd.pid
argsfile {folder}/slapd.args
database mdb
maxsize 4294967296
suffix "{base}"
rootdn "cn=admin,{base}"
rootpw admin-secret
# what a site must write for paged searches to go past the size limit (500)
limits users size.prtotal=unlimited
directory {folder}/data
index objectClass eq
index uid eq
index cn,sn,givenName eq,sub
index telephoneNumber,mobile eq,sub
index departmentNumber,ou eq,sub
index autocomSearchKey eq,sub
access to attrs=userPassword
    by anonymous auth
    by * none
access to *
    by users read
    by * none
"""


class Slapd(ManagedServer):
    """One slapd process on 127.0.0.1 with its database in ``folder``."""

    def __init__(
        self,
        folder: Path,
        people: list[Person],
        *,
        port: int | None = None,
        with_search_keys: bool = True,
    ) -> None:
        self.folder = folder
        self.with_search_keys = with_search_keys  # autocomSearchKey values loaded
        self.people = people
        self.port = port or free_port()
        self.host = "127.0.0.1"
        self.base = PEOPLE
        self.bind_dn = READER_DN
        self.password = READER_PASSWORD
        self._process = ServerProcess(f"slapd on port {self.port}")
        self._loaded = False

    @property
    def url(self) -> str:
        return f"ldap://{self.host}:{self.port}/"

    def source_yaml(self, name: str = "rh", **settings: object) -> str:
        """This server as an LDAP source of directory.yaml: one flow mapping (JSON is YAML)."""
        return json.dumps(
            {
                "type": "ldap",
                "name": name,
                "servers": [self.url],
                "base": self.base,
                "bind_dn": self.bind_dn,
                "password": self.password,
                **settings,
            },
            ensure_ascii=False,
        )

    @property
    def conf(self) -> Path:
        return self.folder / "slapd.conf"

    def load(self) -> None:
        """Write slapd.conf and load the people with slapadd (once)."""
        if self._loaded:
            return
        (self.folder / "data").mkdir(parents=True, exist_ok=True)
        (self.folder / "autocom.schema").write_text(SEARCH_KEY_SCHEMA, encoding="utf-8")
        self.conf.write_text(
            SLAPD_CONF.format(schema=SCHEMA_DIR, modules=MODULE_DIR, folder=self.folder, base=BASE),
            encoding="utf-8",
        )
        ldif = self.folder / "people.ldif"
        with ldif.open("w", encoding="utf-8") as fh:
            fh.writelines(people_ldif(self.people, with_search_keys=self.with_search_keys))
        done = subprocess.run(
            [SLAPADD, "-q", "-f", str(self.conf), "-l", str(ldif)],
            capture_output=True,
            timeout=600,
        )
        if done.returncode != 0:
            raise RuntimeError(f"slapadd failed: {done.stderr.decode(errors='replace')}")
        self._loaded = True

    def start(self) -> None:
        """Start slapd (again, on the same port) and wait until it accepts a bind."""
        if self.running:
            return
        self.load()
        self._process.start(
            [SLAPD, "-f", str(self.conf), "-h", self.url, "-d", "0"],
            self.answers,
            timeout=START_TIMEOUT,
            interval=0.02,
        )

    def answers(self, timeout: float = 0.5) -> bool:
        """True if slapd answers an anonymous bind now (raw BER, no client library)."""
        bind = bytes.fromhex("300c020101600702010304008000")
        try:
            with socket.create_connection((self.host, self.port), timeout=timeout) as sock:
                sock.sendall(bind)
                return sock.recv(64)[:1] == b"\x30"
        except OSError:
            return False


@pytest.fixture(scope="session")
def slapd_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Slapd]:
    server = Slapd(tmp_path_factory.mktemp("slapd"), generate_people(DEFAULT_PEOPLE))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def slapd(slapd_server: Slapd) -> Iterator[Slapd]:
    """The session's slapd, running and answering when the test starts and ends."""
    slapd_server.resume()
    slapd_server.start()
    yield slapd_server
    slapd_server.resume()
    slapd_server.start()
