"""Unpacking a dump or snapshot archive without trusting it.

Python 3.11.4 added tarfile's ``filter="data"``, which refuses members that would land outside the
destination (absolute paths, ``..``, links pointing out) or that are not plain data (devices,
fifos).  Debian 12's Python is 3.11.2, so where the filter is missing the members are checked here
first, more strictly: a Loupe archive holds only regular files and folders, so links are refused
too.
"""
from __future__ import annotations

import tarfile
from pathlib import Path


def extract_all(tar: tarfile.TarFile, into: Path) -> None:
    """Every member of ``tar`` unpacked below ``into``; raises `tarfile.TarError` for a member that
    would escape it or is not a regular file or folder."""
    if hasattr(tarfile, "data_filter"):
        tar.extractall(into, filter="data")
        return
    root = Path(into).resolve()
    members = tar.getmembers()
    for member in members:
        _check_member(member, root)
    tar.extractall(into, members=members)


def _check_member(member: tarfile.TarInfo, root: Path) -> None:
    if not (member.isfile() or member.isdir()):
        raise tarfile.TarError(f"{member.name!r} is not a regular file or folder")
    target = (root / member.name).resolve()
    if Path(member.name).is_absolute() or (target != root and root not in target.parents):
        raise tarfile.TarError(f"{member.name!r} would be extracted outside the destination")


__all__ = ["extract_all"]
