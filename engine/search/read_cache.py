"""`BoundedCache`: what searches of one index version share, bounded by entries and bytes.

Everything a search reads from one index version is immutable until the next batch bumps the
version (and a new `IndexCache` starts empty), so readers may keep decoded postings and derived
terms across searches without any invalidation.  While a user types `libreo`, `libreof`, … each
keystroke re-reads mostly the same postings: decoding them once per version instead of once per
search is what makes the next keystroke cheap.

The policy is deliberately simple: past either bound the cache starts over.  One version's working
set (the words a stream of queries touches) is small next to the bounds, so a reset is rare, and
a plain dict keeps a hit at one lookup with no lock (dict reads and writes are atomic under the
GIL; a reset swaps in a new dict).
"""
from __future__ import annotations

from typing import Any, Hashable


class BoundedCache:
    """A dict emptied when it holds `capacity` entries or `max_bytes` charged bytes."""

    def __init__(self, capacity: int, max_bytes: int):
        self.capacity, self.max_bytes = capacity, max_bytes
        self._entries: dict[Hashable, Any] = {}
        self._bytes = 0

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: Hashable) -> Any:
        return self._entries.get(key)

    def put(self, key: Hashable, value: Any, nbytes: int = 0) -> Any:
        """Keep `value` (charged `nbytes`); returns it."""
        if len(self._entries) >= self.capacity or self._bytes + nbytes > self.max_bytes:
            self.clear()
        self._bytes += nbytes
        self._entries[key] = value
        return value

    def charge(self, nbytes: int) -> None:
        """Count bytes kept elsewhere on this cache's behalf (arrays remembered on cached terms)."""
        self._bytes += nbytes
        if self._bytes > self.max_bytes:
            self.clear()

    def clear(self) -> None:
        self._entries, self._bytes = {}, 0


__all__ = ["BoundedCache"]
