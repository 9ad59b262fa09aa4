"""Limits on what one record may cost, with the reason for each (one place for all of them)."""

from __future__ import annotations

from dataclasses import dataclass, field, fields


@dataclass(frozen=True)
class Limits:
    """Bounds that keep one bad record from stalling a batch or a server."""

    # The largest controlled fentanyl has under 50 heavy atoms; inputs of over a thousand
    # are polymers, proteins or concatenation accidents. Standardising them costs seconds
    # and no class law here can apply, so they are reported as too large instead.
    max_heavy_atoms: int = 1000
    # A SMILES longer than this is not a single small molecule (insulin's is about 3 kB).
    max_input_chars: int = 100_000
    # Each core match is tried as a decomposition; symmetric cages can give thousands.
    # The best explanation is found among the first ones, in RDKit's canonical order.
    max_core_matches: int = 64
    # Skeleton matches tried per region (a phenyl matches itself in 12 ways).
    max_skeleton_matches: int = 48
    # A drug-like structure is decided in milliseconds; one that takes seconds is
    # pathological (a huge cage, a symmetric macrocycle) and must not hold up a batch.
    seconds_per_record: float = 10.0

    # A fit's memo keys hold the limits: hashed once, not at every look-up.
    _hash: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        values = tuple(getattr(self, f.name) for f in fields(self) if f.compare)
        object.__setattr__(self, "_hash", hash(values))

    def __hash__(self) -> int:
        return self._hash


DEFAULT_LIMITS = Limits()
