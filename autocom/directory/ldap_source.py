"""An LDAP directory (ldap3) driven from asyncio without blocking the loop.

ldap3 has no asyncio support, so each LDAP operation runs in a thread of a
private pool (``pool_size`` threads) on a SYNC connection taken from a
pool of bound connections; the event loop only awaits the result.  A
connection is used by one thread at a time, so it needs none of SAFE_SYNC's
locking, nor its deep copy of every response (a third of the CPU a search
cost).  Several
servers are tried in order (ldap3 ``ServerPool``, FIRST strategy, a dead
server skipped for ``retry_after`` seconds).  Every wait is bounded: connect
timeout, receive timeout, server-side time limit, and a cap on the calls
queued behind the pool.  After a failure that no server could answer, the
source fails fast for ``retry_after`` seconds instead of piling up threads.

Searches use the paged results control (RFC 2696): slapd's default size limit
(500) cuts any search that does not page.  Only as many pages as the caller
needs are read; an unfinished paged search is abandoned (page size 0).
Filters come from :mod:`autocom.directory.ldapfilter` (RFC 4515 escaping):
with a search-key attribute (``AttributeMap.search_key``), one exact initial
substring per word; without, substring filters on the name attributes that
return a superset.  Every entry slapd returns is checked again with the
shared ``matches``.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import math
import queue
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

import ldap3
from ldap3.core.exceptions import LDAPException

from autocom.directory import ldapfilter
from autocom.directory.base import SourceUnavailable
from autocom.directory.index import IndexSettings
from autocom.directory.ldapkeys import KeyedEntry
from autocom.directory.model import Entry, Number, NumberKind, Query, SourceResult
from autocom.directory.numbers import NumberPlan
from autocom.directory.query import matches

log = logging.getLogger("autocom.directory.ldap")

T = TypeVar("T")
PAGED_OID = "1.2.840.113556.1.4.319"
SIZE_LIMIT_EXCEEDED = 4
TIME_LIMIT_EXCEEDED = 3
NO_SUCH_OBJECT = 32
MAX_LOOKUP_ENTRIES = 20
SYNC_PAGE_SIZE = 500  # entries per page when the whole source is read
STAMP = "modifyTimestamp"  # operational attribute: when the entry last changed


@dataclass(frozen=True)
class AttributeMap:
    """Which LDAP attributes hold what; inetOrgPerson by default.

    For each field the first attribute with a value wins; every value of every
    number attribute is kept (multi-valued attributes).
    """

    name: tuple[str, ...] = ("sn",)
    first_name: tuple[str, ...] = ("givenName",)
    department: tuple[str, ...] = ("departmentNumber", "ou")
    title: tuple[str, ...] = ("title",)
    email: tuple[str, ...] = ("mail",)
    room: tuple[str, ...] = ("roomNumber",)
    display_name: tuple[str, ...] = ("cn",)  # searched, used when no name
    numbers: Mapping[NumberKind, tuple[str, ...]] = field(
        default_factory=lambda: {"office": ("telephoneNumber",), "mobile": ("mobile",)}
    )
    # an attribute holding ``text.search_keys`` of each entry, indexed eq,sub:
    # name and keypad searches become one exact initial substring per word
    search_key: str = ""
    uid: tuple[str, ...] = ()  # the person's id (e.g. uid), for merge_on: [uid]

    def all_attributes(self) -> list[str]:
        attrs: list[str] = []
        for group in (self.name, self.first_name, self.department, self.title, self.email,
                      self.room, self.display_name, self.uid):  # fmt: skip
            attrs.extend(group)
        for group in self.numbers.values():
            attrs.extend(group)
        return list(dict.fromkeys(attrs))

    def word_attributes(self) -> list[str]:
        # what ``matches`` compares: name, first name, department
        return list(dict.fromkeys((*self.name, *self.first_name, *self.department)))

    def number_attributes(self) -> list[str]:
        return list(dict.fromkeys(a for group in self.numbers.values() for a in group))


@dataclass(frozen=True)
class LdapSettings:
    name: str
    urls: tuple[str, ...]
    base: str
    bind_dn: str = ""
    password: str = ""
    filter: str = "(objectClass=inetOrgPerson)"
    attributes: AttributeMap = AttributeMap()
    pool_size: int = 4
    connect_timeout: float = 2.0
    timeout: float = 3.0  # receive timeout and server time limit of one operation
    page_size: int = 100
    max_queued: int = 64  # calls waiting for a pool thread before we refuse
    retry_after: float = 5.0  # seconds a failed server (or the whole source) is skipped
    index: IndexSettings | None = None  # searches served from memory (autocom.directory.indexed)


def _values(attributes: Mapping[str, Any], names: Iterable[str]) -> list[str]:
    out: list[str] = []
    for name in names:
        value = attributes.get(name)
        if value is None:
            continue
        items = value if isinstance(value, list | tuple) else [value]
        for item in items:
            text = item.decode("utf-8", "replace") if isinstance(item, bytes) else str(item)
            text = text.strip()
            if text and text not in out:
                out.append(text)
    return out


def _first(attributes: Mapping[str, Any], names: Iterable[str]) -> str:
    values = _values(attributes, names)
    return values[0] if values else ""


class ReadRefused(SourceUnavailable):
    """The server answered a read of every entry with an error (a size limit): it is up."""


@dataclass(frozen=True)
class Stamped:
    """An entry read for the index, with its modifyTimestamp ('' if the server hides it)."""

    entry: Entry
    stamp: str


class LdapSource:
    local = False  # every answer is a query to the server (DirectoryService caches them)

    def __init__(self, settings: LdapSettings, plan: NumberPlan) -> None:
        self.name = settings.name
        self.settings = settings
        self.plan = plan
        self._executor: ThreadPoolExecutor | None = None
        self._idle: queue.SimpleQueue[ldap3.Connection] = queue.SimpleQueue()
        self._pending = 0
        self._down_until = 0.0
        self._last_error = ""
        self._closed = False
        self._lock = threading.Lock()
        self._all_connections: set[ldap3.Connection] = set()
        self._in_flight: dict[tuple[Query, int], asyncio.Future[SourceResult]] = {}
        self.coalesced = 0  # searches answered by one already in flight
        # receive timeout and server time limit: ldap3 packs them as whole seconds
        self._seconds = max(1, math.ceil(settings.timeout))
        # ldap3 sleeps POOLING_LOOP_TIMEOUT (10 s) after each failed cycle of the
        # server pool, even the last one: a caller would wait 10 s to learn that
        # every server is down.  Our own retry_after does the waiting instead.
        ldap3.set_config_parameter("POOLING_LOOP_TIMEOUT", 0)
        self._server_pool = ldap3.ServerPool(
            [
                ldap3.Server(
                    url.rstrip("/"), get_info=ldap3.NONE, connect_timeout=settings.connect_timeout
                )
                for url in settings.urls
            ],
            ldap3.FIRST,
            active=1,  # try each server once per connection attempt, never loop forever
            exhaust=settings.retry_after,  # then skip a dead server for that long
        )

    # ---- life cycle -------------------------------------------------------

    async def start(self) -> None:
        if not self.settings.attributes.search_key:
            log.warning(
                "LDAP source %s has no search_key: substring filters miss some names"
                " (el in Anne-Élise, oneil, weiss for Weiß) and are slow on a large"
                " directory (docs/directory.md, 'The search-key attribute')",
                self.name,
            )
        if self._executor is None:
            self._executor = ThreadPoolExecutor(
                max_workers=self.settings.pool_size, thread_name_prefix=f"ldap-{self.name}"
            )

    async def close(self) -> None:
        self._closed = True
        executor, self._executor = self._executor, None
        if executor is None:
            return
        executor.shutdown(wait=False, cancel_futures=True)
        await asyncio.to_thread(self._unbind_all)

    def _unbind_all(self) -> None:
        with self._lock:
            connections = list(self._all_connections)
            self._all_connections.clear()
        for conn in connections:
            with contextlib.suppress(LDAPException):
                conn.unbind()

    def status(self) -> dict[str, object]:
        now = time.monotonic()
        return {
            "source": self.name,
            "up": now >= self._down_until,
            "retry_in": max(0.0, round(self._down_until - now, 1)),
            "pending": self._pending,
            "idle_connections": self._idle.qsize(),
            "last_error": self._last_error,
        }

    # ---- the thread side ---------------------------------------------------

    def _connect(self) -> ldap3.Connection:
        s = self.settings
        conn = ldap3.Connection(
            self._server_pool,
            user=s.bind_dn or None,
            password=s.password or None,
            client_strategy=ldap3.SYNC,  # one thread at a time: no SAFE_SYNC deep copies
            auto_bind=ldap3.AUTO_BIND_NONE,
            check_names=False,
            read_only=True,
            auto_referrals=False,
            raise_exceptions=False,
            receive_timeout=self._seconds,
            return_empty_attributes=False,
        )
        conn.open()
        if not conn.bind():
            result = conn.result or {}
            try:
                conn.unbind()
            finally:
                raise SourceUnavailable(self.name, f"bind refused: {result.get('description')}")
        with self._lock:
            self._all_connections.add(conn)
        return conn

    def _discard(self, conn: ldap3.Connection) -> None:
        with self._lock:
            self._all_connections.discard(conn)
        with contextlib.suppress(LDAPException):
            conn.unbind()

    def _run(self, work: Callable[[ldap3.Connection], T]) -> T:
        """In a pool thread: take a connection, run ``work``, give it back.

        A connection that fails is dropped and the work tried once more on a
        fresh one (the server pool then picks the next live server).
        """
        attempt = 0
        while True:
            attempt += 1
            if self._closed:
                raise SourceUnavailable(self.name, "closed")
            if time.monotonic() < self._down_until:  # queued behind a failure: fail fast
                raise SourceUnavailable(self.name, f"down ({self._last_error})")
            try:
                conn = self._idle.get_nowait()
            except queue.Empty:
                try:
                    conn = self._connect()
                except LDAPException as exc:
                    raise SourceUnavailable(self.name, f"no server answers: {exc}") from exc
            try:
                result = work(conn)
            except LDAPException as exc:
                self._discard(conn)
                if attempt >= 2:
                    raise SourceUnavailable(self.name, f"{type(exc).__name__}: {exc}") from exc
                continue
            except BaseException:
                self._discard(conn)
                raise
            self._release(conn)
            return result

    def _release(self, conn: ldap3.Connection) -> None:
        if self._closed:  # closed while we worked: nobody will take it again
            self._discard(conn)
        else:
            self._idle.put(conn)

    # ---- the asyncio side --------------------------------------------------

    async def _call(self, work: Callable[[ldap3.Connection], T]) -> T:
        executor = self._executor
        if executor is None or self._closed:
            raise SourceUnavailable(self.name, "not started")
        now = time.monotonic()
        if now < self._down_until:
            raise SourceUnavailable(
                self.name, f"down ({self._last_error}); next try in {self._down_until - now:.1f}s"
            )
        if self._pending >= self.settings.pool_size + self.settings.max_queued:
            raise SourceUnavailable(self.name, "too many searches waiting")
        self._pending += 1
        try:
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(executor, self._run, work)
        except ReadRefused:  # the server answers: searches still go to it
            raise
        except SourceUnavailable as exc:
            self._last_error = exc.reason
            self._down_until = time.monotonic() + self.settings.retry_after
            log.warning("LDAP source %s unavailable: %s", self.name, exc.reason)
            raise
        except RuntimeError as exc:  # executor shut down under us
            raise SourceUnavailable(self.name, str(exc)) from exc
        finally:
            self._pending -= 1

    # ---- operations --------------------------------------------------------

    def _filter(self, query: Query) -> str:
        attrs = self.settings.attributes
        parts = [self.settings.filter]
        if query.kind in ("name", "keypad") and attrs.search_key:
            parts.extend(ldapfilter.key_filter(attrs.search_key, w) for w in query.words)
        elif query.kind == "name":
            parts.extend(ldapfilter.word_filter(attrs.word_attributes(), w) for w in query.words)
        elif query.kind == "number":
            stripped = query.digits.lstrip("0") or query.digits
            parts.append(ldapfilter.digits_filter(attrs.number_attributes(), stripped))
        elif query.kind == "keypad":
            parts.extend(
                ldapfilter.keypad_filter([*attrs.name, *attrs.first_name], group)
                for group in query.words
            )
        return ldapfilter.all_of(parts)

    def to_entry(self, dn: str, attributes: Mapping[str, Any]) -> Entry:
        amap = self.settings.attributes
        numbers: list[Number] = []
        for kind, names in amap.numbers.items():
            for raw in _values(attributes, names):
                numbers.append(Number(kind, raw, self.plan.canonical(raw)))
        name = _first(attributes, amap.name) or _first(attributes, amap.display_name)
        return Entry(
            source=self.name,
            id=dn,
            name=name,
            first_name=_first(attributes, amap.first_name),
            numbers=tuple(numbers),
            department=_first(attributes, amap.department),
            title=_first(attributes, amap.title),
            email=_first(attributes, amap.email),
            room=_first(attributes, amap.room),
            uid=_first(attributes, amap.uid),
        )

    async def search(self, query: Query, want: int) -> SourceResult:
        """The first ``want`` entries matching; identical searches in flight share one.

        Fifty phones keying the same prefix at once cause one LDAP search
        (single flight): the first caller starts it as a task, the others
        await the same task.  A caller cancelled (a phone that gave up) does
        not cancel the search the others wait for.
        """
        key = (query, want)
        task = self._in_flight.get(key)
        if task is None:
            task = asyncio.ensure_future(self._search(query, want))
            self._in_flight[key] = task
            task.add_done_callback(functools.partial(self._search_done, key))
        else:
            self.coalesced += 1
        return await asyncio.shield(task)

    def _search_done(self, key: tuple[Query, int], task: asyncio.Future[SourceResult]) -> None:
        if self._in_flight.get(key) is task:
            del self._in_flight[key]
        if not task.cancelled():
            task.exception()  # retrieved: a failure nobody awaited is not logged as lost

    async def _search(self, query: Query, want: int) -> SourceResult:
        search_filter = self._filter(query)
        attributes = self.settings.attributes.all_attributes()

        def work(conn: ldap3.Connection) -> SourceResult:
            return self._paged_search(conn, search_filter, attributes, query, want)

        return await self._call(work)

    def _paged_search(
        self,
        conn: ldap3.Connection,
        search_filter: str,
        attributes: Sequence[str],
        query: Query,
        want: int,
    ) -> SourceResult:
        if want + 1 <= self.settings.page_size and self._exact(query):
            done = self._plain_search(conn, search_filter, attributes, query, want)
            if done is not None:
                return done
            # cut before enough matched (the check dropped some, a lower
            # server limit, the time limit): page through the whole answer
        s = self.settings
        found: list[Entry] = []
        cookie: bytes | None = None
        # The first page asks for what the caller wants (and one more, to know
        # whether there is more); slapd returns a superset (accents, keypad
        # letters after the first ones), so when too few matched, the next
        # pages are whole pages of page_size.  The loop stops as soon as
        # enough matched.
        page = min(s.page_size, want + 1)
        while True:
            result, response = self._search_in(
                conn,
                search_filter,
                attributes,
                paged_size=page,
                paged_cookie=cookie,
                time_limit=self._seconds,
            )
            for _, entry in self._entries(response):
                if not matches(entry, query, self.plan):
                    continue
                if len(found) == want:
                    self._abandon(conn, search_filter, result)
                    return SourceResult(tuple(found), more=True)
                found.append(entry)
            code = result.get("result")
            if code in (SIZE_LIMIT_EXCEEDED, TIME_LIMIT_EXCEEDED):
                log.warning(
                    "LDAP %s: search cut by the server (%s)", self.name, result.get("description")
                )
                return SourceResult(tuple(found), more=False, complete=False)
            if code != 0:
                raise SourceUnavailable(self.name, f"search failed: {result.get('description')}")
            cookie = _cookie(result)
            if not cookie:
                return SourceResult(tuple(found), more=False)
            page = s.page_size

    def _plain_search(
        self,
        conn: ldap3.Connection,
        search_filter: str,
        attributes: Sequence[str],
        query: Query,
        want: int,
    ) -> SourceResult | None:
        """The server returns what matches: one plain search cut at want+1 entries
        tells whether there is more, in one round trip, with no paged search left
        open on the server to abandon.  None: cut before enough matched."""
        result, response = self._search_in(
            conn, search_filter, attributes, size_limit=want + 1, time_limit=self._seconds
        )
        code = result.get("result")
        if code not in (0, SIZE_LIMIT_EXCEEDED, TIME_LIMIT_EXCEEDED):
            raise SourceUnavailable(self.name, f"search failed: {result.get('description')}")
        found = self._matching(response, query)
        if code == 0:
            return SourceResult(tuple(found[:want]), more=len(found) > want)
        if len(found) > want:
            return SourceResult(tuple(found[:want]), more=True)
        return None

    def _exact(self, query: Query) -> bool:
        """True if the server returns only entries ``matches`` keeps (no superset)."""
        if query.kind in ("all", "number"):
            return True
        return bool(self.settings.attributes.search_key)

    def _matching(self, response: Iterable[Mapping[str, Any]], query: Query) -> list[Entry]:
        return [e for _, e in self._entries(response) if matches(e, query, self.plan)]

    def _entries(
        self, response: Iterable[Mapping[str, Any]]
    ) -> Iterator[tuple[Mapping[str, Any], Entry]]:
        """(the raw attributes, the entry) of each entry in a search response."""
        for item in response:
            if item.get("type") == "searchResEntry":
                values = item.get("attributes") or {}
                yield values, self.to_entry(item["dn"], values)

    def _search_in(
        self,
        conn: ldap3.Connection,
        search_filter: str,
        attributes: Sequence[str],
        base: str = "",
        **kwargs: Any,
    ) -> tuple[Mapping[str, Any], list[Mapping[str, Any]]]:
        """A subtree search under the base (or a base search of ``base``): (result, items)."""
        scope = ldap3.BASE if base else ldap3.SUBTREE
        conn.search(
            base or self.settings.base, search_filter, scope, attributes=list(attributes), **kwargs
        )
        return conn.result or {}, list(conn.response or ())

    def _paged(
        self, conn: ldap3.Connection, attributes: Sequence[str]
    ) -> Iterator[Mapping[str, Any]]:
        """Every item of a paged search of the whole source (``filter``), page after page."""
        cookie: bytes | None = None
        page = max(self.settings.page_size, SYNC_PAGE_SIZE)
        while True:
            if self._closed:  # a read of 100,000 entries does not outlive the source
                raise SourceUnavailable(self.name, "closed")
            result, response = self._search_in(
                conn, self.settings.filter, attributes, paged_size=page, paged_cookie=cookie
            )
            if result.get("result") != 0:
                raise ReadRefused(
                    self.name,
                    f"reading every entry refused: {result.get('description')} (a size limit?"
                    " let the account page past it: docs/directory.md, 'The LDAP server')",
                )
            yield from response
            cookie = _cookie(result)
            if not cookie:
                return

    def _abandon(
        self, conn: ldap3.Connection, search_filter: str, result: Mapping[str, Any]
    ) -> None:
        """Tell the server we read enough (RFC 2696: a page size of 0 with the cookie)."""
        cookie = _cookie(result)
        if cookie:
            self._search_in(
                conn, search_filter, [ldap3.NO_ATTRIBUTES], paged_size=0, paged_cookie=cookie
            )

    async def read_keys(self) -> list[KeyedEntry]:
        """Every entry of the source (paged), with its search keys and object classes.

        For ``autocom directory search-keys``: reads the whole directory in one
        pool thread, a page at a time.
        """
        attrs = self.settings.attributes
        if not attrs.search_key:
            raise SourceUnavailable(self.name, "no search_key attribute in attributes:")
        wanted = [*attrs.all_attributes(), attrs.search_key, "objectClass"]

        def work(conn: ldap3.Connection) -> list[KeyedEntry]:
            return [
                KeyedEntry(
                    dn=entry.id,
                    name=entry.name,
                    first_name=entry.first_name,
                    department=entry.department,
                    keys=tuple(_values(values, [attrs.search_key])),
                    object_classes=tuple(_values(values, ["objectClass"])),
                )
                for values, entry in self._entries(self._paged(conn, wanted))
            ]

        return await self._call(work)

    # ---- reading the whole source (the in-memory index, autocom.directory.indexed)

    async def read_all(self) -> list[Stamped]:
        """Every entry of the source with its modifyTimestamp, paged, in one pool thread."""
        wanted = [*self.settings.attributes.all_attributes(), STAMP]

        def work(conn: ldap3.Connection) -> list[Stamped]:
            return [
                Stamped(entry, _first(values, [STAMP]))
                for values, entry in self._entries(self._paged(conn, wanted))
            ]

        return await self._call(work)

    async def read_stamps(self) -> dict[str, str]:
        """The DN and modifyTimestamp of every entry: what changed, what is gone."""

        def work(conn: ldap3.Connection) -> dict[str, str]:
            return {
                item["dn"]: _first(item.get("attributes") or {}, [STAMP])
                for item in self._paged(conn, [STAMP])
                if item.get("type") == "searchResEntry"
            }

        return await self._call(work)

    async def read_entries(self, dns: Sequence[str]) -> list[Stamped]:
        """These entries (a base search each, within ``filter``); one gone is left out."""
        wanted = [*self.settings.attributes.all_attributes(), STAMP]

        def work(conn: ldap3.Connection) -> list[Stamped]:
            out: list[Stamped] = []
            for dn in dns:
                result, response = self._search_in(
                    conn, self.settings.filter, wanted, base=dn, time_limit=self._seconds
                )
                if result.get("result") not in (0, NO_SUCH_OBJECT):
                    raise SourceUnavailable(self.name, f"read failed: {result.get('description')}")
                out.extend(Stamped(e, _first(v, [STAMP])) for v, e in self._entries(response))
            return out

        return await self._call(work)

    async def lookup(self, canonicals: tuple[str, ...]) -> tuple[Entry, ...]:
        spellings = [s for c in canonicals for s in self.plan.spellings(c)]
        if not spellings:
            return ()
        attrs = self.settings.attributes
        search_filter = ldapfilter.all_of(
            [self.settings.filter, ldapfilter.number_filter(attrs.number_attributes(), spellings)]
        )
        wanted = set(canonicals)
        attributes = attrs.all_attributes()

        def work(conn: ldap3.Connection) -> tuple[Entry, ...]:
            result, response = self._search_in(
                conn,
                search_filter,
                attributes,
                size_limit=MAX_LOOKUP_ENTRIES,
                time_limit=self._seconds,
            )
            code = result.get("result")
            if code not in (0, SIZE_LIMIT_EXCEEDED):
                raise SourceUnavailable(self.name, f"lookup failed: {result.get('description')}")
            return tuple(
                entry
                for _, entry in self._entries(response)
                if any(n.canonical in wanted for n in entry.numbers)
            )

        return await self._call(work)


def _cookie(result: Mapping[str, Any]) -> bytes | None:
    controls = result.get("controls") or {}
    paged = controls.get(PAGED_OID) or {}
    value = paged.get("value") or {}
    cookie = value.get("cookie")
    return cookie if isinstance(cookie, bytes) and cookie else None
