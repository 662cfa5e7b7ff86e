"""`requestUid`: every search response names its request with a UUID v7 (RFC 9562), new per
request and shared by the results of one /multi-search.  Version 7 leads with the Unix time in
milliseconds, so request ids sort by time in logs:

    >>> uid = new_request_uid()
    >>> (len(uid), uid[14], uid[19] in "89ab")
    (36, '7', True)
"""
from __future__ import annotations

import os
import time
import uuid


def new_request_uid() -> str:
    """48 bits of milliseconds, version 7, 12 random bits, variant 0b10, 62 random bits."""
    millis = time.time_ns() // 1_000_000 & (1 << 48) - 1
    random = int.from_bytes(os.urandom(10), "big")
    value = millis << 80 | 0x7 << 76 | (random >> 62 & 0xFFF) << 64 | 0b10 << 62 | random & (1 << 62) - 1
    return str(uuid.UUID(int=value))
