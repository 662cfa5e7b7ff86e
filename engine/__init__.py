"""Loupe's search engine, usable as a library: ``Engine(path).index("movies").search(q="...")``."""
from .errors import LoupeError

__all__ = ["LoupeError"]
