"""Approximate nearest neighbours: not built yet, every embedder is searched exactly."""
from __future__ import annotations

from typing import Any


def attach_ann(store: Any, iid: int, name: str, matrix: Any, txn: Any = None) -> None:
    """Attach a built annoy index to the matrix when one exists (none yet)."""
    return None
