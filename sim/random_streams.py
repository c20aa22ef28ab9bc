"""Random streams keyed by (seed, replication, purpose, group, entity).

Common random numbers need every draw to belong to one enterprise and one
purpose, so that a policy change does not shift unrelated draws. Building a
``numpy.random.Generator`` per enterprise and purpose costs about 20 µs each,
too much for 100,000 enterprises; instead each (purpose, group) gets one
generator, derived with ``SeedSequence``, that fills a block of uniforms with a
row per entity. Entity i's k-th draw for that purpose is row i, column k. When
an entity needs more than ``depth`` draws, a generator of its own is derived
from (seed, replication, purpose, group, entity), so the stream never wraps.

No global state: a :class:`Streams` object is made per replication.
"""

from __future__ import annotations

import zlib
from array import array
from functools import lru_cache

import numpy as np

DEFAULT_DEPTH = 4


@lru_cache(maxsize=1024)
def purpose_key(purpose: str) -> int:
    """A stable integer for a purpose name (same on every machine and Python run)."""
    return zlib.crc32(purpose.encode("utf-8"))


def generator(seed: int, *key: int) -> np.random.Generator:
    """A generator for an explicit key path below the scenario seed."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, *key])))


class Streams:
    """All random draws of one replication."""

    def __init__(self, seed: int, replication: int, group_sizes: list[int], depth: int = DEFAULT_DEPTH) -> None:
        self.seed = seed
        self.replication = replication
        self.group_sizes = list(group_sizes)
        self.depth = depth
        # purpose -> per group: (uniforms, row-major as array('d'), draws used per entity)
        self._blocks: dict[str, list[tuple[array, bytearray] | None]] = {}
        self._overflow: dict[tuple[int, int, int], np.random.Generator] = {}
        self.purposes: set[str] = set()  # every purpose drawn so far (modules declare theirs; a test checks)

    def for_purpose(self, purpose: str, group: int) -> np.random.Generator:
        """A generator for a whole-group draw (population attributes, one per stratum)."""
        self.purposes.add(purpose)
        return generator(self.seed, self.replication, purpose_key(purpose), 1_000_000 + group)

    def shared(self, purpose: str, *key: int) -> np.random.Generator:
        """A generator for a city-level entity (an office's arrival stream, say)."""
        self.purposes.add(purpose)
        return generator(self.seed, self.replication, purpose_key(purpose), 2_000_000, *key)

    def uniform(self, purpose: str, group: int, entity: int) -> float:
        """The next uniform in (0, 1) of this entity for this purpose."""
        groups = self._blocks.get(purpose)
        if groups is None:
            groups = self._blocks[purpose] = [None] * len(self.group_sizes)
        entry = groups[group]
        if entry is None:
            entry = groups[group] = self._make_block(purpose, group)
        values, used = entry
        j = used[entity]
        if j < self.depth:
            used[entity] = j + 1
            return values[entity * self.depth + j]
        key = (purpose_key(purpose), group, entity)
        ov = self._overflow.get(key)
        if ov is None:
            ov = self._overflow[key] = generator(self.seed, self.replication, *key)
        return max(float(ov.random()), 1e-12)  # open interval, as in the block

    def _make_block(self, purpose: str, group: int) -> tuple[array, bytearray]:
        self.purposes.add(purpose)
        n = self.group_sizes[group]
        gen = generator(self.seed, self.replication, purpose_key(purpose), group)
        # (0, 1) open interval: inverse CDFs of unbounded laws need it
        block = gen.random((n, self.depth))
        np.maximum(block, 1e-12, out=block)
        # array('d') hands out Python floats faster than indexing a numpy array
        return array("d", block.ravel()), bytearray(n)
