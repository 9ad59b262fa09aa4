"""What one request to the service may cost, with the reason for each limit."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from classwide._limits import Limits


@dataclass(frozen=True)
class ServiceLimits:
    """What one request may ask for, and why (per-record limits are the core's ``Limits``)."""

    # A structure, a name or a MOL block fits in far less; more is an error or an attack.
    max_check_bytes: int = 200_000
    # An upload of 20 MB holds about 400,000 SMILES: a large order or a catalogue slice.
    # Whole catalogues belong to `classwide screen` or the Dask runner, not to one request.
    max_upload_bytes: int = 20_000_000
    # Records per job: bounds the time and disk one user can take on a shared server.
    max_records_per_job: int = 500_000
    # Per record: a fentanyl has under 50 heavy atoms, and 250 leaves room for any drug
    # on a shared server; time per record as in the batch runner.
    record: Limits = field(default_factory=lambda: Limits(max_heavy_atoms=250))

    def core(self) -> Limits:
        """The core's limits under these."""
        return replace(self.record, max_input_chars=self.max_check_bytes)
