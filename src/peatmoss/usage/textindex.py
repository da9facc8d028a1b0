"""A filter for substring searches over the files of a tree: the byte trigrams of each file hashed into a
4,096-bit map (512 bytes a file), so that a search reads again only the files whose map holds every trigram of
what it looks for. A file that holds a string holds all its trigrams, so no file that holds it is left out."""

from __future__ import annotations

from typing import Callable

import numpy as np

BITS = 4096


def trigram_bits(data: bytes) -> np.ndarray:
    """The packed map of `data`'s trigrams (none for fewer than 3 bytes)."""
    seen = np.zeros(BITS, np.bool_)
    if len(data) >= 3:
        a = np.frombuffer(data, np.uint8).astype(np.uint32)
        seen[(a[:-2] * 961 + a[1:-1] * 31 + a[2:]) & (BITS - 1)] = True
    return np.packbits(seen)


def file_map(data: bytes, exact: bool) -> bytes:
    """A file's row of the index: the map of its trigrams, or a full map when its text is not searched in its
    bytes (`exact` false), so that it is always a candidate."""
    return trigram_bits(data).tobytes() if exact else b"\xff" * (BITS // 8)


class TrigramIndex:
    """The rows (`file_map`, one after the other in `rows`) of the files `keys`."""

    def __init__(self, keys: list[str], rows: bytes | bytearray):
        self.keys = keys
        self.maps = np.frombuffer(rows, np.uint8).reshape(len(keys), BITS // 8)

    @classmethod
    def build(cls, keys: list[str], data_of: Callable[[str], bytes], exact: Callable[[bytes], bool]) -> "TrigramIndex":
        rows = bytearray()
        for data in map(data_of, keys):
            rows += file_map(data, exact(data))
        return cls(keys, rows)

    def candidates(self, *needles: bytes) -> list[str]:
        """The files that may hold every one of `needles`, in the order of `keys`."""
        need = np.zeros(BITS // 8, np.uint8)
        for needle in needles:
            need |= trigram_bits(needle)
        hit = ((self.maps & need) == need).all(axis=1)
        return [self.keys[i] for i in np.flatnonzero(hit)]
