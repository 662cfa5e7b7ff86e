"""Unpacking archives without trusting them (engine/backup/archive.py), on every Python we claim.

Properties:
1. Regular files and folders unpack as they were packed, with or without tarfile's data filter
   (Python 3.11.2, Debian 12's, has none: the members are checked by hand there).
2. Without the filter, a member that would land outside the destination (``..``, an absolute
   path), a link, or a device is refused before anything is written.
"""
from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest

from engine.backup.archive import extract_all


def archive(path: Path, members: list[tarfile.TarInfo], data: dict[str, bytes]) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for member in members:
            payload = data.get(member.name)
            if payload is not None:
                member.size = len(payload)
            tar.addfile(member, io.BytesIO(payload) if payload is not None else None)
    return path


def file_member(name: str) -> tarfile.TarInfo:
    return tarfile.TarInfo(name)


def dir_member(name: str) -> tarfile.TarInfo:
    member = tarfile.TarInfo(name)
    member.type = tarfile.DIRTYPE
    return member


@pytest.fixture(params=["filter", "by hand"])
def mode(request, monkeypatch):
    if request.param == "by hand":
        monkeypatch.delattr(tarfile, "data_filter", raising=False)
    return request.param


def test_plain_members_unpack(tmp_path, mode):
    path = archive(tmp_path / "ok.tar.gz", [dir_member("db"), file_member("db/data.mdb"), file_member("meta.json")],
                   {"db/data.mdb": b"\x00\x01", "meta.json": b"{}"})
    out = tmp_path / "out"
    out.mkdir()
    with tarfile.open(path) as tar:
        extract_all(tar, out)
    assert (out / "db" / "data.mdb").read_bytes() == b"\x00\x01" and (out / "meta.json").read_bytes() == b"{}"


def _link(name: str, target: str, kind: bytes) -> tarfile.TarInfo:
    member = tarfile.TarInfo(name)
    member.type, member.linkname = kind, target
    return member


def _device(name: str) -> tarfile.TarInfo:
    member = tarfile.TarInfo(name)
    member.type = tarfile.CHRTYPE
    return member


@pytest.mark.parametrize("bad", [
    lambda: file_member("../escaped"),
    lambda: file_member("/tmp/absolute-escape"),
    lambda: _link("link", "/etc/passwd", tarfile.SYMTYPE),
    lambda: _link("hard", "../outside", tarfile.LNKTYPE),
    lambda: _device("dev"),
], ids=["dotdot", "absolute", "symlink", "hardlink", "device"])
def test_escaping_or_special_members_are_refused_by_hand(tmp_path, monkeypatch, bad):
    monkeypatch.delattr(tarfile, "data_filter", raising=False)
    member = bad()
    path = archive(tmp_path / "evil.tar.gz", [file_member("first"), member],
                   {"first": b"x", **({member.name: b"y"} if member.isfile() else {})})
    out = tmp_path / "sub" / "out"
    out.mkdir(parents=True)
    with tarfile.open(path) as tar, pytest.raises(tarfile.TarError):
        extract_all(tar, out)
    assert list(out.iterdir()) == [] and not (tmp_path / "sub" / "escaped").exists()
