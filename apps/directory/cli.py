"""`autocom directory search TERM`, `autocom directory lookup NUMBER`, `... search-keys`.

Both ask the sources directly (no cache), say which source answered and which
failed; `lookup` also prints the caller name a call from that number would get.
Exit status: 0 found, 1 nothing found, 2 a source failed.

`search-keys` reads an LDAP source whole and prints the LDIF that fills its
search-key attribute (docs/directory.md) where it is missing or out of date,
for ldapmodify; `--check` only counts (exit 1 when some are out of date).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
from collections.abc import AsyncIterator

from apps.directory.engine import LookupFacts, decide
from apps.directory.phones import dialables
from apps.directory.rules import DirectoryRules
from apps.directory.service import DirectoryService, build_directory
from autocom.context import CliContext
from autocom.directory import Entry, LdapSource, SourceUnavailable, keypad_query, parse_term
from autocom.directory.ldapkeys import AUXILIARY_CLASS, key_changes, summary
from autocom.feature import Commands


def add_commands(commands: Commands) -> None:
    group = commands.add_group("directory", "search the directory, look a number up")
    search = group.add_parser("search", help="search by name (or digits of a number)")
    search.add_argument("term", help="name words, or digits")
    search.add_argument("--keypad", action="store_true", help="TERM is keypad digits (533=Lef...)")
    search.add_argument("--limit", type=int, default=20)
    search.add_argument("--offset", type=int, default=0)
    search.set_defaults(run=cmd_search)
    lookup = group.add_parser("lookup", help="who has this number, and the caller name shown")
    lookup.add_argument("number")
    lookup.add_argument("--name", help="the caller name the call already has")
    lookup.set_defaults(run=cmd_lookup)
    keys = group.add_parser(
        "search-keys", help="LDIF filling an LDAP source's search-key attribute (ldapmodify)"
    )
    keys.add_argument("--source", help="the LDAP source's name (default: the only one)")
    keys.add_argument(
        "--object-class",
        default=AUXILIARY_CLASS,
        help=f"auxiliary class added where missing (default {AUXILIARY_CLASS}; '' for none)",
    )
    keys.add_argument("--check", action="store_true", help="only count entries out of date")
    keys.set_defaults(run=cmd_search_keys)


def _rules(cli: CliContext) -> DirectoryRules:
    rules = cli.load().rules.get("directory")
    if not isinstance(rules, DirectoryRules):
        print("no directory rules loaded", file=sys.stderr)
        raise SystemExit(1)
    return rules


@contextlib.asynccontextmanager
async def _service(rules: DirectoryRules) -> AsyncIterator[DirectoryService]:
    """A service straight on the sources (no state store, no index: one answer asks
    LDAP), closed on the way out."""
    service = DirectoryService(rules, None, directory=build_directory(rules, indexed=False))
    await service.start()
    try:
        yield service
    finally:
        await service.close()


def _degraded(sources: tuple[str, ...]) -> int:
    """Exit status 2 after naming the sources that did not answer."""
    print(f"-- sources that did not answer: {', '.join(sources)}", file=sys.stderr)
    return 2


def describe(entry: Entry, rules: DirectoryRules) -> str:
    numbers = ", ".join(f"{d.number} ({d.kind})" for d in dialables(entry, rules.plan))
    parts = [entry.display_name]
    for extra in (entry.department, entry.title, entry.room, entry.email):
        if extra:
            parts.append(extra)
    return f"{' | '.join(parts)} | {numbers or 'no number'}  [{entry.source}: {entry.id}]"


def cmd_search(args: argparse.Namespace, cli: CliContext) -> int:
    rules = _rules(cli)

    async def run() -> int:
        query = keypad_query(args.term) if args.keypad else parse_term(args.term)
        async with _service(rules) as service:
            page = await service.search_query(query, args.limit, args.offset, use_cache=False)
        for entry in page.entries:
            print(describe(entry, rules))
        end = page.offset + len(page.entries)
        more = f" (more: --offset {end})" if page.more else ""
        print(f"-- {len(page.entries)} entries, {page.offset + 1}-{end}{more}", file=sys.stderr)
        if page.degraded:
            return _degraded(page.degraded)
        return 0 if page.entries else 1

    return asyncio.run(run())


def cmd_lookup(args: argparse.Namespace, cli: CliContext) -> int:
    rules = _rules(cli)

    async def run() -> int:
        async with _service(rules) as service:
            result = await service.lookup(args.number, use_cache=False)
        candidates = rules.plan.candidates(args.number)
        print(f"number {args.number!r} reads as {', '.join(candidates) or 'no number'}")
        for entry in result.entries:
            print(describe(entry, rules))
        if result.entries:
            facts = LookupFacts("found", result.entries, "source")
        elif result.degraded:
            facts = LookupFacts("unavailable")
        else:
            facts = LookupFacts("unknown")
        decision = decide(
            rules.model.caller_name,
            rules.plan,
            args.number,
            args.name,
            facts,
            rules.where("caller_name"),
        )
        shown = repr(decision.name) if decision.name is not None else "unchanged"
        print(f"caller name: {shown} ({decision.reason})")
        for line in decision.trace:
            print(f"  {line}")
        if result.degraded:
            return _degraded(result.degraded)
        return 0 if result.entries else 1

    return asyncio.run(run())


def cmd_search_keys(args: argparse.Namespace, cli: CliContext) -> int:
    rules = _rules(cli)
    keyed = {n: s for n, s in rules.ldap.items() if s.attributes.search_key}
    if args.source:
        settings = keyed.get(args.source)
    else:
        settings = next(iter(keyed.values())) if len(keyed) == 1 else None
    if settings is None:
        names = ", ".join(keyed) or "none"
        print(
            "name an LDAP source with attributes: {search_key: ...} "
            f"(--source; sources with a search key: {names})",
            file=sys.stderr,
        )
        return 2

    async def run() -> int:
        source = LdapSource(settings, rules.plan)
        await source.start()
        try:
            entries = await source.read_keys()
        except SourceUnavailable as exc:
            print(f"-- {exc}", file=sys.stderr)
            return 2
        finally:
            await source.close()
        read, stale = summary(entries)
        if not args.check:
            attribute = settings.attributes.search_key
            sys.stdout.writelines(key_changes(entries, attribute, args.object_class))
        print(f"-- {read} entries read, {stale} with search keys to write", file=sys.stderr)
        return 1 if args.check and stale else 0

    return asyncio.run(run())
