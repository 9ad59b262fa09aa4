"""Readers and writers: stream records in, one output record per input record out.

Every reader yields one ``InputRecord`` per input record, in order, including records it
could not read (with ``error`` set), so that a screen of N records always writes N records.
"""

from __future__ import annotations

import contextlib
import csv
import gzip
import io
import json
import os
import sys
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TextIO

from rdkit import Chem, rdBase

from classwide._findings import Classification
from classwide.errors import InputError, UnsupportedFormatError

FORMATS = {
    ".smi": "smiles",
    ".smiles": "smiles",
    ".txt": "smiles",
    ".csv": "csv",
    ".tsv": "tsv",
    ".sdf": "sdf",
    ".mol": "sdf",
    ".inchi": "inchi",
}


@dataclass(frozen=True)
class InputRecord:
    """One input record: its id, the structure text, and a reader's error if any."""

    id: str
    text: str | None
    error: str | None = None


def detect_format(path: str) -> str:
    """Tell the input format from a file name (``.gz`` allowed).

    >>> detect_format("catalogue.csv.gz")
    'csv'

    Raises:
        UnsupportedFormatError: for an unknown ending.
    """
    if path == "-":
        return "smiles"
    name = path.lower()
    if name.endswith(".gz"):
        name = name[:-3]
    suffix = Path(name).suffix
    if suffix not in FORMATS:
        known = ", ".join(sorted(FORMATS))
        raise UnsupportedFormatError(
            f"{path}: unknown input format {suffix or '(none)'} "
            f"(known: {known}, each may end in .gz)"
        )
    return FORMATS[suffix]


@contextlib.contextmanager
def open_text(path: str) -> Iterator[TextIO]:
    """Open a file (gzipped or not) or standard input ('-') as text, never failing on bytes."""
    if path == "-":
        yield io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8", errors="replace")
        return
    try:
        if path.lower().endswith(".gz"):
            handle: TextIO = gzip.open(path, "rt", encoding="utf-8", errors="replace", newline="")
        else:
            handle = open(path, encoding="utf-8", errors="replace", newline="")  # noqa: SIM115
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None
    with handle:
        yield _Guarded(handle, path)  # type: ignore[misc]


class _Guarded:
    """A text handle whose read failures (a truncated gzip, an I/O error) say which file.

    They end the run with a clear message instead of a traceback; every record read before
    them has been written.
    """

    def __init__(self, handle: TextIO, path: str) -> None:
        self._handle, self._path = handle, path

    def _failed(self, exc: BaseException) -> InputError:
        detail = " ".join(str(exc).split()) or type(exc).__name__
        return InputError(f"cannot read {self._path} any further ({detail}): truncated or corrupt")

    def read(self, size: int = -1) -> str:
        try:
            return self._handle.read(size)
        except (OSError, EOFError, zlib.error) as exc:
            raise self._failed(exc) from None

    def readline(self) -> str:
        try:
            return self._handle.readline()
        except (OSError, EOFError, zlib.error) as exc:
            raise self._failed(exc) from None

    def __iter__(self) -> _Guarded:
        return self

    def __next__(self) -> str:
        try:
            return next(self._handle)
        except (OSError, EOFError, zlib.error) as exc:
            raise self._failed(exc) from None

    def __getattr__(self, name: str) -> object:
        return getattr(self._handle, name)


def read_smiles_lines(lines: Iterator[str] | Sequence[str]) -> Iterator[InputRecord]:
    """One record per line: a SMILES (or InChI), optional white space, optional id.

    An empty line is a record too (with an error), so record numbers match line numbers.
    """
    for number, line in enumerate(lines, start=1):
        line = line.rstrip("\r\n")
        parts = line.strip().split(None, 1)
        if not parts:
            yield InputRecord(str(number), "", "empty record: no structure given")
            continue
        record_id = parts[1].strip() if len(parts) > 1 else str(number)
        yield InputRecord(record_id, parts[0])


def read_delimited(
    handle: TextIO, delimiter: str, smiles_col: str = "smiles", id_col: str | None = None
) -> Iterator[InputRecord]:
    """Records from a CSV/TSV file with a header row.

    Raises:
        InputError: when the header lacks the SMILES (or id) column.
    """
    # A field may be a whole MOL block or a huge SMILES: let the record's own size limit
    # reject it, rather than the csv module stopping the run.
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    reader = _csv_rows(csv.reader(handle, delimiter=delimiter))
    try:
        header = next(reader)
    except StopIteration:
        return
    lowered = [h.strip().lower() for h in header]

    def column(name: str) -> int:
        if name in header:
            return header.index(name)
        if name.lower() in lowered:
            return lowered.index(name.lower())
        raise InputError(f"no column {name!r} in the header ({', '.join(header)})")

    smiles_at = column(smiles_col)
    id_at = column(id_col) if id_col else None
    for number, row in enumerate(reader, start=1):
        record_id = str(number)
        if id_at is not None and id_at < len(row) and row[id_at].strip():
            record_id = row[id_at].strip()
        if smiles_at >= len(row):
            yield InputRecord(record_id, "", f"record has no {smiles_col!r} field")
            continue
        value = row[smiles_at].strip()
        if not value:
            yield InputRecord(record_id, "", "empty record: no structure given")
        else:
            yield InputRecord(record_id, value)


def _csv_rows(reader: Iterator[list[str]]) -> Iterator[list[str]]:
    line = 0
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise InputError(f"unreadable CSV after line {line}: {exc}") from None
        line += 1
        yield row


def read_sdf(handle: TextIO, id_col: str | None = None) -> Iterator[InputRecord]:
    """One record per SDF entry (ended by ``$$$$``); the id is ``id_col`` or the title.

    A broken entry is still one record: it is handed on and fails at parsing, alone.
    """
    block: list[str] = []
    number = 0

    def finish(lines: list[str], n: int) -> InputRecord:
        text = "".join(lines)
        title = lines[0].strip() if lines else ""
        record_id = title or str(n)
        if id_col:
            value = _sd_property(lines, id_col)
            if value:
                record_id = value
        end = text.find("M  END")
        molblock = text[: end + len("M  END")] + "\n" if end >= 0 else text
        if end < 0:
            return InputRecord(record_id, molblock, "unreadable MOL block: no 'M  END' line")
        return InputRecord(record_id, molblock)

    for line in handle:
        if line.startswith("$$$$"):
            number += 1
            yield finish(block, number)
            block = []
        else:
            block.append(line if line.endswith("\n") else line + "\n")
    if any(line.strip() for line in block):
        number += 1
        yield finish(block, number)


def _sd_property(lines: list[str], name: str) -> str | None:
    for i, line in enumerate(lines):
        if line.startswith(">") and f"<{name}>" in line and i + 1 < len(lines):
            return lines[i + 1].strip()
    return None


@dataclass(frozen=True)
class RawChunk:
    """Whole lines of a SMILES file, and the record number of the first one."""

    first: int
    text: str


def raw_smiles_chunks(
    handle: TextIO, *, first: int = 1, block: int = 1 << 16
) -> Iterator[RawChunk]:
    """Cut a SMILES-line file into chunks of whole lines without looking at each line.

    The process that reads the input then does almost nothing: workers split the lines,
    and record numbers stay those of ``read_smiles_lines`` (an empty line is a record).
    """
    number = first
    carry = ""
    while True:
        data = handle.read(block)
        if not data:
            break
        data = carry + data
        cut = data.rfind("\n")
        if cut < 0:
            carry = data
            continue
        text, carry = data[: cut + 1], data[cut + 1 :]
        yield RawChunk(number, text)
        number += text.count("\n")
    if carry:
        yield RawChunk(number, carry + "\n")


def records_of(chunk: RawChunk) -> list[InputRecord]:
    """The records of a raw chunk, numbered as ``read_smiles_lines`` numbers them."""
    lines = chunk.text.split("\n")[:-1]
    out = []
    for offset, line in enumerate(lines):
        number = chunk.first + offset
        parts = line.strip().split(None, 1)
        if not parts:
            out.append(InputRecord(str(number), "", "empty record: no structure given"))
        else:
            out.append(InputRecord(parts[1].strip() if len(parts) > 1 else str(number), parts[0]))
    return out


class RecordStream:
    """The records of one open input, and how far into the file reading has got.

    ``kind`` is the input format (``detect_format``), None when not known. A stream of
    "smiles" or "inchi" lines may be read as raw chunks from ``handle`` instead.
    """

    def __init__(
        self,
        records: Iterator[InputRecord],
        handle: TextIO,
        path: str,
        kind: str | None = None,
    ) -> None:
        self._records = records
        self.handle = handle
        self.kind = kind
        self._handle = handle
        self.total_bytes = os.path.getsize(path) if path != "-" else None

    def __iter__(self) -> Iterator[InputRecord]:
        return self._records

    def __next__(self) -> InputRecord:
        return next(self._records)

    def bytes_read(self) -> int | None:
        """Bytes of the file on disk consumed so far (compressed bytes for .gz)."""
        buffer = getattr(self._handle, "buffer", None)
        raw = getattr(buffer, "fileobj", None) or getattr(buffer, "raw", None)
        try:
            return raw.tell() if raw is not None else None
        except (OSError, ValueError):
            return None


@contextlib.contextmanager
def read_records(
    path: str, *, smiles_col: str = "smiles", id_col: str | None = None
) -> Iterator[RecordStream]:
    """Open an input file and stream its records (a context manager).

    Args:
        path: a file path, or '-' for SMILES lines on standard input.
        smiles_col: the SMILES column of a CSV/TSV file.
        id_col: the id column (CSV/TSV) or SD property (SDF).

    Yields:
        An iterator of records, in file order.

    Raises:
        UnsupportedFormatError: for an unknown file ending.
        InputError: for a file that cannot be opened or lacks the SMILES column.
    """
    kind = detect_format(path)
    with open_text(path) as handle:
        if kind in ("smiles", "inchi"):
            records = read_smiles_lines(handle)
        elif kind in ("csv", "tsv"):
            records = read_delimited(handle, "," if kind == "csv" else "\t", smiles_col, id_col)
        else:
            records = read_sdf(handle, id_col)
        yield RecordStream(iter(records), handle, path, kind)


# --- writers ----------------------------------------------------------------------------------


def record_json(record: Classification) -> str:
    """One JSON line; the same record always gives the same bytes."""
    return json.dumps(record.to_dict(), ensure_ascii=False, separators=(", ", ": "))


def flat_fields(record: Classification, jurisdictions: Sequence[str]) -> dict[str, str]:
    """The record as flat text fields (CSV columns, SD properties)."""
    out = {
        "id": record.id,
        "input": record.input,
        "error": record.error or "",
        "standardized": record.standardized or "",
    }
    verdicts = {v.jurisdiction: v for v in record.jurisdictions}
    for code in jurisdictions:
        verdict = verdicts.get(code)
        if verdict is None:
            out.update(
                {
                    f"{code}_status": "",
                    f"{code}_rules": "",
                    f"{code}_clauses": "",
                    f"{code}_explanation": "",
                    f"{code}_review": "",
                }
            )
            continue
        applying = [m for m in verdict.matches if m.applies]
        explanation = "; ".join(m.explanation for m in applying) or "; ".join(
            f"{n.rule}: {n.reason}" for n in verdict.near_misses
        )
        out.update(
            {
                f"{code}_status": verdict.status.value,
                f"{code}_rules": ";".join(m.rule for m in applying),
                f"{code}_clauses": ";".join(c for m in applying for c in m.clauses),
                f"{code}_explanation": explanation,
                f"{code}_review": ";".join(f"{r.rule}:{r.reading}" for r in verdict.review),
            }
        )
    return out


def serialize(record: Classification, fmt: str, jurisdictions: Sequence[str]) -> str:
    """One record as the text a writer appends: a JSON line, a CSV row or an SD entry."""
    if fmt == "jsonl":
        return record_json(record) + "\n"
    if fmt == "csv":
        line = io.StringIO()
        fields = flat_fields(record, jurisdictions)
        csv.DictWriter(line, fieldnames=list(fields), lineterminator="\n").writerow(fields)
        return line.getvalue()
    if fmt == "sdf":
        return _sd_entry(record, jurisdictions)
    raise UnsupportedFormatError(f"unknown output format {fmt!r} (jsonl, csv, sdf)")


def csv_header(jurisdictions: Sequence[str]) -> str:
    """The header row of the CSV output."""
    names = ["id", "input", "error", "standardized"]
    for code in jurisdictions:
        names += [f"{code}_{x}" for x in ("status", "rules", "clauses", "explanation", "review")]
    return ",".join(names) + "\n"


class Writer:
    """Write records to a text stream in one format, as they come."""

    def __init__(
        self, stream: IO[str], fmt: str, jurisdictions: Sequence[str], *, header: bool = True
    ) -> None:
        if fmt not in ("jsonl", "csv", "sdf"):
            raise UnsupportedFormatError(f"unknown output format {fmt!r} (jsonl, csv, sdf)")
        self.stream, self.fmt, self.jurisdictions = stream, fmt, list(jurisdictions)
        self._header = header
        self._started = False

    def write(self, record: Classification) -> None:
        """Write one record (one write call: an interrupted run leaves whole records)."""
        self.write_text(serialize(record, self.fmt, self.jurisdictions))

    def write_text(self, text: str) -> None:
        """Write one record already serialised by ``serialize``."""
        if self.fmt == "csv" and self._header and not self._started:
            self.stream.write(csv_header(self.jurisdictions))
        self._started = True
        self.stream.write(text)

    def close(self) -> None:
        """Flush; a CSV with no records still gets its header."""
        if self.fmt == "csv" and self._header and not self._started:
            self.stream.write(csv_header(self.jurisdictions))
            self._started = True
        self.stream.flush()


def completed_records(path: str, fmt: str) -> int:
    """Count the complete records of an output file and cut off a partial last one.

    Used by ``--resume``: an interrupted run may have left half a line (or half an SD
    entry) at the end; it is removed, and the count says how many input records to skip.
    """
    if not os.path.exists(path):
        return 0
    with open(path, "rb") as handle:
        data = handle.read()
    if fmt == "sdf":
        marker = b"$$$$\n"
        end = data.rfind(marker)
        keep = end + len(marker) if end >= 0 else 0
        count = data[:keep].count(marker)
    else:
        keep = data.rfind(b"\n") + 1
        lines = data[:keep].splitlines()
        if fmt == "jsonl":
            good = 0
            for line in lines:
                try:
                    json.loads(line)
                except ValueError:
                    break
                good += 1
            keep = sum(len(line) + 1 for line in lines[:good])
            count = good
        else:
            rows = list(csv.reader(io.StringIO(data[:keep].decode("utf-8", "replace"))))
            count = max(0, len(rows) - 1)
    if keep != len(data):
        with open(path, "r+b") as handle:
            handle.truncate(keep)
    return count


def _sd_entry(record: Classification, jurisdictions: Sequence[str]) -> str:
    with rdBase.BlockLogs():
        mol = Chem.MolFromSmiles(record.standardized) if record.standardized else None
    block = Chem.MolToMolBlock(mol) if mol is not None else Chem.MolToMolBlock(Chem.Mol())
    lines = block.splitlines()
    lines[0] = record.id.replace("\n", " ")
    parts = ["\n".join(lines) + "\n"]
    for key, value in flat_fields(record, jurisdictions).items():
        value = " ".join(str(value).split())
        parts.append(f">  <{key}>\n{value}\n\n")
    parts.append("$$$$\n")
    return "".join(parts)


__all__ = [
    "FORMATS",
    "InputRecord",
    "RawChunk",
    "RecordStream",
    "Writer",
    "completed_records",
    "csv_header",
    "detect_format",
    "flat_fields",
    "open_text",
    "raw_smiles_chunks",
    "read_delimited",
    "read_records",
    "read_sdf",
    "read_smiles_lines",
    "record_json",
    "records_of",
    "serialize",
]
