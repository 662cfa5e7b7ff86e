"""The on-disk store: two LMDB environments under the db path (see env.py).

``codecs`` encodes keys and values, ``registry`` maps index uids to records and metadata,
``sizes`` prints byte sizes as Meilisearch does.
"""
from .env import Store

__all__ = ["Store"]
