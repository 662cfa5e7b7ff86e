"""The on-disk store: two LMDB environments under the db path (see env.py)."""
from .env import Store

__all__ = ["Store"]
