"""Running out of room, reported as Meilisearch reports it (errors-auth.md: `database_size_limit_reached`,
`no_space_left_on_device`) instead of as an internal error.

Two limits can be hit while writing: the LMDB map of an environment (its maximum size,
`--max-index-size` / `--max-task-db-size`), and the filesystem itself.  LMDB reports the second
from a commit as ENOSPC, or, when the failing write is its final flush, as EIO; an EIO counts as
a full disk only when the store's filesystem has next to nothing left.  Nothing else changes: the
write is refused or its task fails, reads go on, and writing succeeds again once there is room.
"""
from __future__ import annotations

import errno
import shutil
from pathlib import Path

import lmdb

from ..errors import LoupeError

#: Below this many free bytes, an I/O error of a write is taken for a full disk.
NEARLY_FULL = 1 << 20

_NO_SPACE = "There is no more space left on the device. Consider increasing the size of the disk/partition."
_MAP_FULL = "Maximum database size has been reached."


def space_error(exc: BaseException, path: str | Path) -> LoupeError | None:
    """The Meilisearch error for ``exc`` if it means the store ran out of room, else None."""
    if isinstance(exc, lmdb.MapFullError):
        return LoupeError("database_size_limit_reached", _MAP_FULL)
    code = getattr(exc, "errno", None)
    text = str(exc)
    if code in (errno.ENOSPC, errno.EDQUOT) or "No space left on device" in text or "Disk quota exceeded" in text:
        return LoupeError("no_space_left_on_device", _NO_SPACE)
    if (code == errno.EIO or "Input/output error" in text) and _free_bytes(path) < NEARLY_FULL:
        return LoupeError("no_space_left_on_device", _NO_SPACE)
    return None


def _free_bytes(path: str | Path) -> int:
    try:
        return shutil.disk_usage(path).free
    except OSError:
        return 1 << 62
