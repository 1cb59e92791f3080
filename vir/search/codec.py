"""How postings are laid out on disk: Whoosh's W3 codec with array blocks, and positions as
packed integers.

W3 pickles each block of up to 128 postings as a tuple of Python objects: an int per
document number, a float per weight and a bytes object per value. Reading a common word's
postings for the first time was mostly unpickling those objects (about 10 ms a word and field
in 10,000 documents). Here a block is three byte strings: the document numbers and the
weights as arrays, the values joined, with their lengths as another array. Whoosh reads them
through this module's matcher; `vir.search.scoring` takes the arrays as they are.
`tests/test_search.py` checks that an index written this way holds exactly what W3 writes.
"""

from __future__ import annotations

import sys
from array import array
from typing import Any

from whoosh.codec.whoosh3 import W3Codec, W3LeafMatcher, W3PostingsWriter
from whoosh.formats import Positions

_BIG_ENDIAN = sys.byteorder == "big"


def _pack(typecode: str, values: Any) -> bytes:
    packed = array(typecode, values)
    if _BIG_ENDIAN:  # stored little-endian, like the positions
        packed.byteswap()
    return packed.tobytes()


def _unpack(typecode: str, data: bytes) -> array:
    packed = array(typecode)
    packed.frombytes(data)
    if _BIG_ENDIAN:
        packed.byteswap()
    return packed


class PackedPositions(Positions):
    """Positions kept as 32-bit little-endian integers instead of Whoosh's pickled list of
    gaps: indexing needs no pickle per posting, and vir.search.scoring reads a whole block of
    them with one numpy call. Whoosh's own readers (phrases with slop, spans) decode them
    through this class."""

    def encode(self, poslist: Any) -> bytes:
        return _pack("I", poslist)

    def decode_positions(self, valuestring: bytes) -> list[int]:
        return _unpack("I", valuestring).tolist()

    def decode_frequency(self, valuestring: bytes) -> int:
        return len(valuestring) // 4

    def decode_weight(self, valuestring: bytes) -> float:
        return self.decode_frequency(valuestring) * self.field_boost

    def decode_position_boosts(self, valuestring: bytes) -> list[tuple[int, float]]:
        return [(pos, 1) for pos in self.decode_positions(valuestring)]

    def combine(self, vs: Any) -> bytes:
        return self.encode(sorted({p for v in vs for p in self.decode_positions(v)}))


class ArrayPostingsWriter(W3PostingsWriter):
    def _mini_ids(self) -> Any:
        if self._byteids:  # term vectors keep W3's layout
            return super()._mini_ids()
        return _pack("I", self._ids)

    def _mini_weights(self) -> Any:
        weights = self._weights
        if self._byteids or all(w == 1.0 for w in weights):
            return super()._mini_weights()
        return _pack("f", weights)

    def _mini_values(self) -> Any:
        fixedsize = self._format.fixed_value_size()
        if self._byteids or not (fixedsize is None or fixedsize < 0):
            return super()._mini_values()
        return (_pack("I", [len(v) for v in self._values]), b"".join(self._values))


class ArrayLeafMatcher(W3LeafMatcher):
    """W3's matcher, reading blocks written by ArrayPostingsWriter."""

    def _read_ids(self) -> None:
        if self._data is None:
            self._read_data()
        self._ids = _unpack("I", self._data[0])

    def _read_weights(self) -> None:
        if self._data is None:
            self._read_data()
        weights = self._data[1]
        if isinstance(weights, bytes):
            self._weights = _unpack("f", weights)
        else:  # None (all 1.0) or one float for all, as W3 writes them
            super()._read_weights()

    def _read_values(self) -> None:
        if self._data is None:
            self._read_data()
        values = self._data[2]
        if isinstance(values, tuple) and len(values) == 2 and isinstance(values[0], bytes):
            lengths, joined = values
            out, start = [], 0
            for length in _unpack("I", lengths):
                out.append(joined[start : start + length])
                start += length
            self._values = tuple(out)
        else:
            super()._read_values()

    def block_arrays(self) -> tuple[bytes, Any, Any]:
        """This block as stored: document numbers as little-endian uint32 bytes; weights as
        float32 bytes, one float for all, or None for all 1.0; values as (lengths as uint32
        bytes, values joined) when they vary in size."""
        if self._data is None:
            self._read_data()
        return self._data


class ArrayCodec(W3Codec):
    def postings_writer(self, dbfile: Any, byteids: bool = False) -> ArrayPostingsWriter:
        return ArrayPostingsWriter(
            dbfile,
            blocklimit=self._blocklimit,
            byteids=byteids,
            compression=self._compression,
            inlinelimit=self._inlinelimit,
        )

    def postings_reader(
        self, dbfile: Any, terminfo: Any, format_: Any, term: Any = None, scorer: Any = None
    ) -> Any:
        if terminfo.is_inlined():
            return super().postings_reader(dbfile, terminfo, format_, term, scorer)
        offset, length = terminfo.extent()
        return ArrayLeafMatcher(dbfile, offset, length, format_, term=term, scorer=scorer)
