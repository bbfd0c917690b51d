"""directory.yaml compiled: the number plan, the sources (site and files read now,
LDAP settings), the phones' password; every error at its file:line."""

from __future__ import annotations

from pathlib import Path

from apps.directory.rules import (
    DirectoryFile,
    DirectoryRules,
    FileSourceRule,
    NumbersRule,
    SiteSourceRule,
)
from autocom.config import ConfigError, ConfigIssue, load_yaml, validate
from autocom.config.yaml_source import Document
from autocom.directory import (
    AttributeMap,
    Entry,
    ExtensionDid,
    IndexSettings,
    LdapSettings,
    NumberPlan,
    read_people,
)
from autocom.directory.site_source import site_entries
from autocom.site.model import Site, line_prefix_needed


def _read_secret(
    base: Path, name: str, doc: Document, path: tuple[str | int, ...], issues: list[ConfigIssue]
) -> str:
    """The secret in file ``name`` (relative to ``base``); '' and an issue when unreadable."""
    secret = base / name if not Path(name).is_absolute() else Path(name)
    try:
        return secret.read_text(encoding="utf-8").strip()
    except OSError as exc:
        issues.append(
            ConfigIssue(
                doc.file,
                doc.line_of(path),
                f"cannot read {secret}: {exc.strerror or exc}",
                "name a readable file, relative to this one",
            )
        )
        return ""


def _did_aliases(site: Site, numbers: NumbersRule) -> tuple[tuple[str, str], ...]:
    """The site's DIDs that ring a user: a call from that user may show either number."""
    bare = NumberPlan(numbers.country_code, numbers.national_prefix, numbers.international_prefix)
    out = []
    for context in site.contexts:
        for did in context.dids:
            e164 = bare.canonical(did.number)
            if e164.startswith("+") and site.user(did.destination) is not None:
                out.append((e164, did.destination))
    return tuple(out)


def load_rules(path: Path | None, site: Site) -> DirectoryRules:
    """Read directory.yaml (None: the site's users only) and every file it names."""
    doc = Document("<built-in>", None, {(): 1}) if path is None else load_yaml(path)
    model = validate(DirectoryFile, doc)
    base = path.parent if path is not None else Path(".")
    issues: list[ConfigIssue] = []
    plan = _number_plan(model, site, doc, issues)
    memory, ldap = _sources(model, site, plan, base, doc, issues)
    phone_password = _phone_password(model, base, doc, issues)
    if issues:
        raise ConfigError(issues)
    lines = {
        key: line
        for key in ("caller_name", "phones", "cache", "numbers", "sources")
        if (line := doc.lines.get((key,))) is not None
    }
    return DirectoryRules(model, plan, doc.file, memory, ldap, phone_password, lines)


def _number_plan(
    model: DirectoryFile, site: Site, doc: Document, issues: list[ConfigIssue]
) -> NumberPlan:
    line_prefix = model.numbers.line_prefix
    if line_prefix is None:
        line_prefix = site.line_prefix()
    if line_prefix is None:
        line_prefix = ""
        message, hint = line_prefix_needed(site)
        issues.append(ConfigIssue(doc.file, doc.line_of(("numbers",)), message, hint))
    return NumberPlan(
        country_code=model.numbers.country_code,
        national_prefix=model.numbers.national_prefix,
        international_prefix=model.numbers.international_prefix,
        line_prefix=line_prefix,
        extension_dids=tuple(
            ExtensionDid(d.prefix, d.length) for d in model.numbers.extension_dids
        ),
        max_extension_length=model.numbers.max_extension_length,
        did_aliases=_did_aliases(site, model.numbers),
    )


def _sources(
    model: DirectoryFile,
    site: Site,
    plan: NumberPlan,
    base: Path,
    doc: Document,
    issues: list[ConfigIssue],
) -> tuple[dict[str, tuple[Entry, ...]], dict[str, LdapSettings]]:
    """The in-memory sources (site, files) read now, and the LDAP sources' settings."""
    memory: dict[str, tuple[Entry, ...]] = {}
    ldap: dict[str, LdapSettings] = {}
    for index, source in enumerate(model.sources):
        where = ("sources", index)
        if isinstance(source, SiteSourceRule):
            memory[source.name] = tuple(site_entries(site, plan, source.name))
        elif isinstance(source, FileSourceRule):
            file_path = Path(source.path)
            file_path = file_path if file_path.is_absolute() else base / file_path
            try:
                memory[source.name] = tuple(read_people(file_path, plan, source.name))
            except ConfigError as exc:
                issues.extend(exc.issues)
        else:
            password = source.password
            if source.password_file:
                password = _read_secret(
                    base, source.password_file, doc, (*where, "password_file"), issues
                )
            ldap[source.name] = LdapSettings(
                name=source.name,
                urls=source.servers,
                base=source.base,
                bind_dn=source.bind_dn,
                password=password,
                filter=source.filter,
                attributes=AttributeMap(**source.attributes.model_dump()),
                pool_size=source.pool_size,
                connect_timeout=source.connect_timeout,
                timeout=source.timeout,
                page_size=source.page_size,
                retry_after=source.retry_after,
                index=IndexSettings(**source.index.model_dump()) if source.index else None,
            )
    return memory, ldap


def _phone_password(
    model: DirectoryFile, base: Path, doc: Document, issues: list[ConfigIssue]
) -> str:
    auth = model.phones.auth
    if auth is None:
        return ""
    phone_password = auth.password
    if auth.password_file:
        phone_password = _read_secret(
            base, auth.password_file, doc, ("phones", "auth", "password_file"), issues
        )
    if not phone_password and not issues:
        issues.append(
            ConfigIssue(
                doc.file,
                doc.line_of(("phones", "auth")),
                "phones.auth has no password",
                "write password: or password_file:",
            )
        )
    return phone_password
