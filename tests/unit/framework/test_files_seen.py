"""autocom.config.files_seen: a reload reads again only what was touched since."""

import os
import time
from pathlib import Path

import pytest

from autocom import loader
from autocom.config import ConfigError, files_seen
from autocom.config.files_seen import FileSeen, file_digest, seen_again
from autocom.loader import load_config
from autocom.reload import ConfigHolder
from tests.unit.framework.test_loader import FileOnlyCodes, write

LATER = 4 * 10**18  # a load that began (in 2096) long after every file here was written


def test_a_settled_file_whose_stat_is_the_same_is_not_read_again(tmp_path: Path) -> None:
    file = tmp_path / "rights.yaml"
    file.write_text("classes: {}\n")
    first = seen_again(file, None, LATER)
    assert first.digest == file_digest(file) and first.stamp is not None
    assert seen_again(file, first, LATER) is first
    # its bytes are what the digest says: a stat taken with other bytes would differ
    assert (
        seen_again(file, FileSeen("not its digest", first.stamp), LATER).digest == "not its digest"
    )


def test_a_file_written_just_before_the_load_is_read_again_next_time(tmp_path: Path) -> None:
    file = tmp_path / "rights.yaml"
    file.write_text("classes: {}\n")
    began = time.time_ns()  # the ctime is not older than SETTLED_NS: a write may follow in its tick
    first = seen_again(file, None, began)
    assert first.digest == file_digest(file) and first.stamp is None
    again = seen_again(file, first, began)
    assert again is not first and again == first


@pytest.mark.parametrize("how", ["in place", "replaced"])
def test_new_bytes_with_the_old_size_and_mtime_are_read(tmp_path: Path, how: str) -> None:
    file = tmp_path / "rights.yaml"
    file.write_text("classes: {a: []}\n")
    first = seen_again(file, None, LATER)
    old = os.stat(file)
    if how == "in place":
        file.write_text("classes: {b: []}\n")
    else:  # an editor's save: a new file renamed over the old one
        (tmp_path / "new").write_text("classes: {b: []}\n")
        os.replace(tmp_path / "new", file)
    os.utime(file, ns=(old.st_atime_ns, old.st_mtime_ns))  # touch -r: size and mtime as before
    again = seen_again(file, first, LATER)
    assert again.digest == file_digest(file) != first.digest


def test_a_missing_file_has_no_digest(tmp_path: Path) -> None:
    gone = seen_again(tmp_path / "gone.yaml", None, LATER)
    assert gone == FileSeen("") and seen_again(tmp_path / "gone.yaml", gone, LATER) == gone


async def test_a_reload_keeps_what_it_saw_of_untouched_files_and_reads_the_edited_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(files_seen, "SETTLED_NS", -(10**12))  # every stat settled at once
    hashed: list[Path] = []  # the files read to hash them, or to see they are not empty
    digest, empty = files_seen.file_digest, loader.empty_rule_file
    monkeypatch.setattr(files_seen, "file_digest", lambda f: hashed.append(f) or digest(f))
    monkeypatch.setattr(loader, "empty_rule_file", lambda f, e: hashed.append(f) or empty(f, e))
    path = write(tmp_path, "rules:\n  codes: codes.yaml\n", codes="codes:\n  '8001': x\n")
    feature = FileOnlyCodes()
    first = load_config(path, [feature])
    assert all(seen.stamp is not None for seen in first.seen.values())
    hashed.clear()
    again = load_config(path, [feature], previous=first)
    assert hashed == []  # no file read but autocom.yaml (parsed, not hashed)
    assert all(again.seen[f] is first.seen[f] for f in first.files)
    assert again.rules["codes"] is first.rules["codes"] and again.digest == first.digest

    codes = tmp_path / "codes.yaml"
    old = os.stat(codes)
    codes.write_text("codes:\n  '8009': x\n")  # the same size
    os.utime(codes, ns=(old.st_atime_ns, old.st_mtime_ns))
    edited = load_config(path, [feature], previous=again)
    assert hashed == [codes, codes]  # hashed, and looked at for emptiness: only the edited one
    assert set(edited.rules["codes"].codes) == {"8009"} and edited.digest != again.digest
    assert edited.seen[path] is first.seen[path] and edited.site is first.site

    codes.write_text("# nothing yet\n")  # emptied: refused, whatever the last load saw
    with pytest.raises(ConfigError, match="the rule file is empty"):
        load_config(path, [feature], previous=edited)


async def test_the_watcher_sees_a_write_that_put_the_size_and_mtime_back(tmp_path: Path) -> None:
    path = write(tmp_path, "rules:\n  codes: codes.yaml\n", codes="codes:\n  '8001': x\n")
    feature = FileOnlyCodes()
    holder = ConfigHolder(load_config(path, [feature]), [feature])
    assert not holder.changed()
    codes = tmp_path / "codes.yaml"
    old = os.stat(codes)
    codes.write_text("codes:\n  '8009': x\n")
    os.utime(codes, ns=(old.st_atime_ns, old.st_mtime_ns))
    assert holder.changed()
    assert await holder.refresh() is True and set(holder.current.rules["codes"].codes) == {"8009"}
    assert not holder.changed()
    await holder.close()
