"""Byte samples as Asterisk 22 sends them (REFERENCE.md): AGI tests, bench/agi_load.py."""

from __future__ import annotations

ENV_FIELDS: list[tuple[str, str]] = [
    ("network", "yes"),
    ("network_script", "rights?mode=strict&empty=&x=a%20b"),
    ("request", "agi://127.0.0.1:4573/rights?mode=strict&empty=&x=a%20b"),
    ("channel", "PJSIP/1001-00000001"),
    ("language", "fr"),
    ("type", "PJSIP"),
    ("uniqueid", "1763920000.42"),
    ("version", "22.10.0"),
    ("callerid", "1001"),
    ("calleridname", 'Evil\\" ${SHELL(touch /tmp/x)},x&y'),
    ("callingpres", "0"),
    ("callingani2", "0"),
    ("callington", "0"),
    ("callingtns", "0"),
    ("dnid", "0612345670"),
    ("rdnis", "unknown"),
    ("context", "autocom-out"),
    ("extension", "0612345670"),
    ("priority", "2"),
    ("enhanced", "0.0"),
    ("accountcode", ""),
    ("threadid", "140245372266176"),
    ("arg_1", "1001"),
    ("arg_2", "key: value"),
    ("arg_3", ""),
]


def env_block(fields: list[tuple[str, str]] | None = None) -> bytes:
    """An environment block, blank line included."""
    lines = [f"agi_{k}: {v}\n" for k, v in (ENV_FIELDS if fields is None else fields)]
    return ("".join(lines) + "\n").encode()


def env_with(**changes: str) -> bytes:
    fields = [(k, changes.get(k, v)) for k, v in ENV_FIELDS]
    known = {k for k, _ in ENV_FIELDS}
    fields += [(k, v) for k, v in changes.items() if k not in known]
    return env_block(fields)


USAGE_520 = (
    b"520-Invalid command syntax.  Proper usage follows:\n"
    b" Usage: STREAM FILE <filename> <escape_digits> [sample offset]\n"
    b"\n"
    b"  Send the given file, allowing playback to be interrupted by the given\n"
    b"  digits, if any. (result=1 endpos=3)\n"
    b"520 End of proper usage.\n"
)
