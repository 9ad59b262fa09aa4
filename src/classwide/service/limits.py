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
    # A .gz upload at the size limit can expand about a thousandfold (a 292 kB file held one
    # 300 MB line): its decompressed bytes are counted while it is read, and the job fails
    # past this, keeping the records already screened.
    max_expanded_bytes: int = 200_000_000
    # One line of an upload: a record longer than a check may be is cut here and becomes
    # one error record, instead of being held whole (None: ``max_check_bytes``).
    max_record_chars: int | None = None
    # An error record echoes at most this much of its input (an over-long line would
    # otherwise be written out whole, twice).
    max_echo_chars: int = 1_000
    # A request body: a check's JSON may escape a MOL block to twice its length. Counted on
    # the stream, chunked or not (None: twice ``max_check_bytes`` plus 16 kB; uploads
    # get ``max_upload_bytes`` plus 64 kB for the multipart framing).
    max_body_bytes: int | None = None
    # A check waits this long for a free worker process before the server says it is busy.
    max_queue_seconds: float = 30.0
    # A check's deadline is the record's time plus this: a chemical name starts a JVM
    # (about a second, more on a busy machine). Past it the worker is killed and replaced.
    check_grace_seconds: float = 10.0
    # Per record: a fentanyl has under 50 heavy atoms, and 250 leaves room for any drug
    # on a shared server; time per record as in the batch runner.
    record: Limits = field(default_factory=lambda: Limits(max_heavy_atoms=250))

    def __post_init__(self) -> None:
        if self.max_record_chars is None:
            object.__setattr__(self, "max_record_chars", self.max_check_bytes)
        if self.max_body_bytes is None:
            object.__setattr__(self, "max_body_bytes", 2 * self.max_check_bytes + 16_384)

    def body_ceiling(self, path: str) -> tuple[int, str]:
        """The most bytes a request body to ``path`` may have, and the limit's name."""
        if path.rstrip("/").endswith("/screen"):
            return self.max_upload_bytes + 65_536, "max_upload_bytes"
        return int(self.max_body_bytes or 0), "max_check_bytes"

    def check_seconds(self) -> float:
        """The deadline of one check: the record's time, and a JVM's start for a name."""
        return self.record.seconds_per_record + self.check_grace_seconds

    def core(self) -> Limits:
        """The core's limits under these."""
        return replace(self.record, max_input_chars=self.max_check_bytes)
