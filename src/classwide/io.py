"""Readers and writers: stream records in, one output record per input record out.

Every reader yields one ``InputRecord`` per input record, in order, including records it
could not read (with ``error`` set), so that a screen of N records always writes N records.

Every reader, the raw fast path and ``--resume`` share one definition of a line: a line
ends at a line feed (LF), a CR LF ending counts as LF, and a lone carriage return (CR)
does not end a line (it is part of the line's text). Files are read as UTF-8 (bytes that
are not UTF-8 become U+FFFD); a byte-order mark at the start is not data. A record longer
than ``Limits.max_input_chars`` (a line, a CSV row, the MOL block of an SD entry) is one
error record whose ``input`` is its first ``ECHO_CHARS`` characters and "…"; it is never
held in memory whole.
"""

from __future__ import annotations

import contextlib
import csv
import gzip
import io
import json
import os
import re
import sys
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TextIO

from rdkit import Chem, rdBase

from classwide._findings import Classification
from classwide._limits import DEFAULT_LIMITS
from classwide.errors import InputError, UnsupportedFormatError

MAX_CHARS = DEFAULT_LIMITS.max_input_chars
# An error record echoes this much of a record that is over the size limit: enough to find
# it in the file, without copying megabytes into every output format.
ECHO_CHARS = 200
_BLOCK = 1 << 16
# A raw chunk of SMILES lines: about 350 records. Where nearly every record takes the full
# path (a few ms each), a worker's chunk lasts about a second, so the last chunks of a run
# leave the other workers idle that long at most; on a catalogue the prefilter settles,
# sending chunks to workers stays under 1 % of the time.
_CHUNK_CHARS = 1 << 14

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
    """Open a file (gzipped or not) or standard input ('-') as text, never failing on bytes.

    Lines end at LF only (Python's universal newlines would also end them at a lone CR),
    and a UTF-8 byte-order mark at the start is dropped.
    """
    encoding, errors, newline = "utf-8-sig", "replace", "\n"
    if path == "-":
        stdin = io.TextIOWrapper(sys.stdin.buffer, encoding, errors, newline)
        yield _Guarded(stdin, "standard input")  # type: ignore[misc]
        return
    try:
        if path.lower().endswith(".gz"):
            handle: TextIO = gzip.open(
                path, "rt", encoding=encoding, errors=errors, newline=newline
            )
        else:
            handle = open(path, encoding=encoding, errors=errors, newline=newline)  # noqa: SIM115
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

    def readline(self, size: int = -1) -> str:
        try:
            return self._handle.readline(size)
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


def cut_short(text: str) -> str:
    """The ``input`` of a record over the size limit: its start and "…"."""
    return text[:ECHO_CHARS] + "\u2026"


def too_large(length: int, limit: int) -> str:
    """The error of a record over the size limit (worded as the structure check words it)."""
    return f"too large: {length} characters (limit {limit})"


@dataclass(frozen=True)
class Line:
    """One line by the line rule, without its ending.

    ``text`` is the whole line, or only its first characters when ``length`` is over the
    limit it was read with (the rest was read and dropped). ``quotes`` counts every '"'
    of the whole line (CSV needs it to keep track of quoted fields).
    """

    text: str
    length: int
    quotes: int = -1

    @property
    def cut(self) -> bool:
        """Whether the line was over the limit, so that ``text`` is only its beginning."""
        return self.length > len(self.text)


def _content(line: str) -> str:
    """A line's text without its ending (LF or CR LF; at the end of the file also CR).

    A last line without LF is read as if it had one, so a lone CR there is its ending.
    """
    if line.endswith("\n"):
        line = line[:-1]
    return line[:-1] if line.endswith("\r") else line


def _rest_of_line(handle: TextIO, start: str) -> tuple[int, int]:
    """Read and drop the rest of a line that began with ``start`` (no LF in it).

    Returns:
        The length of the whole line without its ending, and how many '"' it holds.
    """
    length, quotes, tail = len(start), start.count('"'), start[-2:]
    while not tail.endswith("\n"):
        piece = handle.readline(_BLOCK)
        if not piece:
            break
        length += len(piece)
        quotes += piece.count('"')
        tail = (tail + piece)[-2:]
    if tail.endswith("\n"):
        length -= 1
        tail = tail[:-1]
    if tail.endswith("\r"):
        length -= 1
    return length, quotes


def read_line(handle: TextIO, max_chars: int = MAX_CHARS) -> Line | None:
    """Read one line by the line rule, never more than ``max_chars`` characters of it.

    Returns:
        The line, or None at the end of the file.
    """
    # +2: a line of exactly max_chars characters and its "\r\n" ending.
    text = handle.readline(max_chars + 2)
    if not text:
        return None
    if text.endswith("\n") or len(text) < max_chars + 2:
        content = _content(text)
        if len(content) > max_chars:
            return Line(content[:ECHO_CHARS], len(content), content.count('"'))
        return Line(content, len(content))
    length, quotes = _rest_of_line(handle, text)
    return Line(text[:ECHO_CHARS], length, quotes)


def iter_lines(handle: TextIO, max_chars: int = MAX_CHARS) -> Iterator[Line]:
    """Every line of a handle by the line rule (see ``read_line``)."""
    while (line := read_line(handle, max_chars)) is not None:
        yield line


def _line_record(number: int, text: str, length: int, max_chars: int) -> InputRecord:
    """The record of one line, or an error record when it is over the limit."""
    if length > max_chars:
        return InputRecord(str(number), cut_short(text), too_large(length, max_chars))
    return _smiles_record(number, text)


def _smiles_record(number: int, text: str) -> InputRecord:
    """The record of one SMILES (or InChI) line: structure, white space, optional id."""
    parts = text.strip().split(None, 1)
    if not parts:
        return InputRecord(str(number), "", "empty record: no structure given")
    return InputRecord(parts[1].strip() if len(parts) > 1 else str(number), parts[0])


def read_smiles_lines(
    lines: TextIO | Iterable[str], *, max_chars: int = MAX_CHARS
) -> Iterator[InputRecord]:
    """One record per line: a SMILES (or InChI), optional white space, optional id.

    An empty line is a record too (with an error), so record numbers match line numbers.

    Args:
        lines: an open text handle (read line by line, by the line rule, each line
            bounded by ``max_chars``), or strings that are one line each.
        max_chars: the longest line that is read as a record; a longer one is an error
            record.
    """
    if hasattr(lines, "readline"):
        for number, line in enumerate(iter_lines(lines, max_chars), start=1):  # type: ignore[arg-type]
            yield _line_record(number, line.text, line.length, max_chars)
        return
    for number, text in enumerate(lines, start=1):
        text = _content(text)
        yield _line_record(number, text, len(text), max_chars)


def read_delimited(
    handle: TextIO,
    delimiter: str,
    smiles_col: str = "smiles",
    id_col: str | None = None,
    *,
    max_chars: int = MAX_CHARS,
) -> Iterator[InputRecord]:
    """Records from a CSV/TSV file with a header row.

    Rows are read by the line rule (a lone CR is part of a field, not a row end). A row
    over ``max_chars`` characters is one error record, numbered but without its id (it is
    not read whole), and so is a row whose quoted field is still open at the end of the file.

    Raises:
        InputError: when the header lacks the SMILES (or id) column.
    """
    # Rows are bounded by _CsvLines, so no field can outgrow max_chars much; let the row
    # limit, not the csv module, decide.
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    lines = _CsvLines(handle, max_chars)
    reader = _csv_rows(csv.reader(lines, delimiter=delimiter), lines)
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
        if lines.problem is not None:
            yield InputRecord(record_id, cut_short(lines.echo), lines.problem)
            continue
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


# A lone "\r" ends a row for the csv module whatever the file was opened with; it is
# handed over as this noncharacter (Unicode reserves U+FDD0-U+FDEF for internal use) and
# turned back afterwards. A U+FDD0 already in the data is doubled, so nothing is confused.
_CR, _CR_ESCAPED, _MARK_ESCAPED = "\ufdd0", "\ufdd0\ufdd1", "\ufdd0\ufdd0"
_LONE_CR = re.compile(r"\r(?!\n)")
_UNESCAPE = re.compile("\ufdd0(.)", re.DOTALL)


def _unescape(field: str) -> str:
    if _CR not in field:
        return field
    return _UNESCAPE.sub(lambda m: "\r" if m.group(1) == "\ufdd1" else _CR, field)


class _CsvLines:
    """The lines of a CSV file, one at a time, for ``csv.reader``, with each row bounded.

    The reader asks for one line per row, and for more only while a quoted field is open,
    so ``start_row`` (called after each row) keeps this in step with the rows. A row that
    grows over ``max_chars`` is handed on as empty lines that keep its quotes balanced, and
    ``problem`` says why; so is a row whose quoted field the end of the file closes.
    """

    def __init__(self, handle: TextIO, max_chars: int) -> None:
        self._handle, self._max = handle, max_chars
        self.line = 0  # physical lines read
        self.start_row()

    def start_row(self) -> None:
        self.first = self.line + 1  # the row's first line
        self.size = 0
        self.echo = ""
        self.escaped = False
        self.problem: str | None = None
        self._over = False

    def __iter__(self) -> _CsvLines:
        return self

    def __next__(self) -> str:
        line = read_line(self._handle, self._max)
        if line is None:
            if self.line >= self.first and self.problem is None:
                self.problem = (
                    f"unterminated quote: the quoted field of the row from line {self.first} "
                    f"runs to the end of the file (line {self.line})"
                )
            raise StopIteration
        self.line += 1
        self.size += line.length + (self.line > self.first)
        if len(self.echo) < ECHO_CHARS:
            self.echo = (self.echo + "\n" + line.text if self.echo else line.text)[:ECHO_CHARS]
        if line.cut or self.size > self._max or self._over:
            self._over = True
            self.problem = too_large(self.size, self._max)
            quotes = line.quotes if line.quotes >= 0 else line.text.count('"')
            return '"' * (quotes % 2) + "\n"
        text = line.text
        if "\r" in text or _CR in text:
            self.escaped = True
            text = _LONE_CR.sub(_CR_ESCAPED, text.replace(_CR, _MARK_ESCAPED))
        return text + "\n"


def _csv_rows(reader: Iterator[list[str]], lines: _CsvLines) -> Iterator[list[str]]:
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise InputError(f"unreadable CSV after line {lines.line}: {exc}") from None
        if lines.escaped:
            row = [_unescape(field) for field in row]
        yield row
        lines.start_row()


def read_sdf(
    handle: TextIO, id_col: str | None = None, *, max_chars: int = MAX_CHARS
) -> Iterator[InputRecord]:
    """One record per SDF entry (ended by a ``$$$$`` line); the id is ``id_col`` or the title.

    A broken entry is still one record: it is handed on and fails at parsing, alone. An
    entry whose MOL block is over ``max_chars`` characters is an error record; only the
    lines that name the entry are kept of its SD properties.
    """
    entry = _SdEntry(id_col, max_chars)
    number = 0
    for line in iter_lines(handle, max_chars):
        if line.text.startswith("$$$$"):
            number += 1
            yield entry.record(number)
            entry = _SdEntry(id_col, max_chars)
        else:
            entry.add(line)
    if entry.has_text:
        number += 1
        yield entry.record(number)


class _SdEntry:
    """One SD entry as it is read: the MOL block, and the property lines ``id_col`` needs.

    Of the properties only the header lines and the line after each are kept.
    """

    def __init__(self, id_col: str | None, max_chars: int) -> None:
        self.id_col, self.max = id_col, max_chars
        self.block: list[str] = []  # the MOL block, up to and including "M  END"
        self.size = 0
        self.ended = False
        self.properties: list[str] = []
        self.has_text = False
        self._value_next = False

    def add(self, line: Line) -> None:
        self.has_text = self.has_text or bool(line.text.strip())
        text = line.text + "\n"
        if self.ended:
            if line.text.startswith(">") or self._value_next:
                self.properties.append(text)
            self._value_next = line.text.startswith(">")
            return
        self.size += line.length + 1
        if self.size <= self.max:
            self.block.append(text)
        elif len(self.block) == 0 or sum(map(len, self.block)) < ECHO_CHARS:
            self.block.append(text[:ECHO_CHARS])  # enough for the echo
        # The MOL block ends at its "M  END" line; the title line is never taken for it.
        if self.block and len(self.block) > 1 and line.text.startswith("M  END"):
            self.ended = True

    def record(self, number: int) -> InputRecord:
        title = self.block[0].strip() if self.block else ""
        record_id = title or str(number)
        if self.id_col:
            value = _sd_property(self.properties, self.id_col)
            if value:
                record_id = value
        text = "".join(self.block)
        if self.size > self.max:
            return InputRecord(record_id, cut_short(text), too_large(self.size, self.max))
        if not self.ended:
            return InputRecord(record_id, text, "unreadable MOL block: no 'M  END' line")
        return InputRecord(record_id, text)


def _sd_property(lines: list[str], name: str) -> str | None:
    for i, line in enumerate(lines):
        if line.startswith(">") and f"<{name}>" in line and i + 1 < len(lines):
            return lines[i + 1].strip()
    return None


@dataclass(frozen=True)
class RawChunk:
    """Whole lines of a SMILES file, and the record number of the first one.

    A line over the size limit is not in ``text``: an empty line stands in for it, and
    ``too_long`` holds its offset in the chunk, its error and its cut-short echo.
    """

    first: int
    text: str
    too_long: tuple[tuple[int, str, str], ...] = ()


def raw_smiles_chunks(
    handle: TextIO, *, first: int = 1, block: int = _CHUNK_CHARS, max_chars: int = MAX_CHARS
) -> Iterator[RawChunk]:
    """Cut a SMILES-line file into chunks of whole lines without looking at each line.

    The process that reads the input then does almost nothing: workers split the lines,
    and record numbers stay those of ``read_smiles_lines`` (an empty line is a record; a
    line over ``max_chars`` is an error record, and is never held whole).
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
            if len(carry) > max_chars + 1:  # over the limit, whatever ends it
                length, _ = _rest_of_line(handle, carry)
                yield _long_line(number, carry, length, max_chars)
                number += 1
                carry = ""
            continue
        text, carry = data[: cut + 1], data[cut + 1 :]
        yield _checked(number, text, max_chars)
        number += text.count("\n")
    if carry:
        yield _checked(number, carry + "\n", max_chars)


def _long_line(number: int, text: str, length: int, max_chars: int) -> RawChunk:
    return RawChunk(number, "\n", ((0, too_large(length, max_chars), cut_short(text)),))


def _checked(number: int, text: str, max_chars: int) -> RawChunk:
    """A chunk of whole lines, with any line over the limit taken out.

    Only a chunk longer than the limit can hold one, so most chunks are not looked into.
    """
    if len(text) <= max_chars:
        return RawChunk(number, text)
    lines = text.split("\n")[:-1]
    long = []
    for offset, line in enumerate(lines):
        content = _content(line)
        if len(content) > max_chars:
            long.append((offset, too_large(len(content), max_chars), cut_short(content)))
            lines[offset] = ""
    if not long:
        return RawChunk(number, text)
    return RawChunk(number, "\n".join(lines) + "\n", tuple(long))


def records_of(chunk: RawChunk) -> list[InputRecord]:
    """The records of a raw chunk, numbered as ``read_smiles_lines`` numbers them."""
    lines = chunk.text.split("\n")[:-1]
    out = [_smiles_record(number, line) for number, line in enumerate(lines, start=chunk.first)]
    for offset, error, text in chunk.too_long:
        out[offset] = InputRecord(str(chunk.first + offset), text, error)
    return out


def skip_lines(handle: TextIO, count: int, max_chars: int = MAX_CHARS) -> int:
    """Read and drop up to ``count`` lines by the line rule; return how many there were."""
    skipped = 0
    while skipped < count and read_line(handle, max_chars) is not None:
        skipped += 1
    return skipped


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
        *,
        max_chars: int = MAX_CHARS,
    ) -> None:
        self._records = records
        self.handle = handle
        self.kind = kind
        self.max_chars = max_chars
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
    path: str,
    *,
    smiles_col: str = "smiles",
    id_col: str | None = None,
    max_chars: int = MAX_CHARS,
) -> Iterator[RecordStream]:
    """Open an input file and stream its records (a context manager).

    Args:
        path: a file path, or '-' for SMILES lines on standard input.
        smiles_col: the SMILES column of a CSV/TSV file.
        id_col: the id column (CSV/TSV) or SD property (SDF).
        max_chars: the longest record read as one; a longer one is an error record.

    Yields:
        An iterator of records, in file order.

    Raises:
        UnsupportedFormatError: for an unknown file ending.
        InputError: for a file that cannot be opened or lacks the SMILES column.
    """
    kind = detect_format(path)
    with open_text(path) as handle:
        if kind in ("smiles", "inchi"):
            records = read_smiles_lines(handle, max_chars=max_chars)
        elif kind in ("csv", "tsv"):
            delimiter = "," if kind == "csv" else "\t"
            records = read_delimited(handle, delimiter, smiles_col, id_col, max_chars=max_chars)
        else:
            records = read_sdf(handle, id_col, max_chars=max_chars)
        yield RecordStream(iter(records), handle, path, kind, max_chars=max_chars)


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

    Used by ``--resume``: an interrupted run may have left half a line (or half a CSV row
    or SD entry) at the end; it is removed, and the count says how many input records to
    skip. CSV rows are parsed, not counted as lines (a quoted id may hold a newline), and an
    SD entry ends at a line that is exactly ``$$$$`` (the writer escapes any other).
    """
    if not os.path.exists(path):
        return 0
    with open(path, "rb") as handle:
        data = handle.read()
    lines = data.split(b"\n")[:-1]  # whole lines only, each without its "\n"
    if fmt == "sdf":
        count = keep = position = 0
        for line in lines:
            position += len(line) + 1
            if line == b"$$$$":
                count, keep = count + 1, position
    elif fmt == "jsonl":
        count = keep = 0
        for line in lines:
            try:
                json.loads(line)
            except ValueError:
                break
            count, keep = count + 1, keep + len(line) + 1
    else:
        count, keep = _complete_csv_rows(lines)
    if keep != len(data):
        with open(path, "r+b") as handle:
            handle.truncate(keep)
    return count


def _complete_csv_rows(lines: list[bytes]) -> tuple[int, int]:
    """The records (rows after the header) of whole CSV rows, and the bytes they take."""
    ends: list[int] = []  # byte position after each line handed to the parser
    position = 0

    def feed() -> Iterator[str]:
        nonlocal position
        for line in lines:
            position += len(line) + 1
            ends.append(position)
            yield line.decode("utf-8", "replace") + "\n"

    rows = keep = 0
    reader = csv.reader(feed(), strict=True)
    while True:
        try:
            next(reader)
        except (StopIteration, csv.Error):  # the end, or a quoted field the cut left open
            break
        rows, keep = rows + 1, position
    return max(0, rows - 1), keep


_LINE_BREAK = re.compile(r"\r\n|[\r\n]")


def _sd_text(text: str) -> str:
    """Text safe as one SD title or value line.

    Line breaks become spaces, and a leading ``$$$$`` (which would end the entry there) gets
    a backslash before it.
    """
    text = _LINE_BREAK.sub(" ", text)
    return "\\" + text if text.startswith("$$$$") else text


def _sd_entry(record: Classification, jurisdictions: Sequence[str]) -> str:
    with rdBase.BlockLogs():
        mol = Chem.MolFromSmiles(record.standardized) if record.standardized else None
    block = Chem.MolToMolBlock(mol) if mol is not None else Chem.MolToMolBlock(Chem.Mol())
    lines = block.splitlines()
    lines[0] = _sd_text(record.id)
    parts = ["\n".join(lines) + "\n"]
    for key, value in flat_fields(record, jurisdictions).items():
        value = _sd_text(" ".join(str(value).split()))
        parts.append(f">  <{key}>\n{value}\n\n")
    parts.append("$$$$\n")
    return "".join(parts)


__all__ = [
    "ECHO_CHARS",
    "FORMATS",
    "MAX_CHARS",
    "InputRecord",
    "Line",
    "RawChunk",
    "RecordStream",
    "Writer",
    "completed_records",
    "csv_header",
    "cut_short",
    "detect_format",
    "flat_fields",
    "iter_lines",
    "open_text",
    "raw_smiles_chunks",
    "read_delimited",
    "read_line",
    "read_records",
    "read_sdf",
    "read_smiles_lines",
    "record_json",
    "records_of",
    "serialize",
    "skip_lines",
    "too_large",
]
