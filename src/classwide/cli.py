"""The command line: parse arguments, call the library, format the output.

Exit status (see ``docs/output-format.md``): 0 when every record was processed (records
that could not be read are still reported); 2 for a usage or environment error (a bad
option, an unreadable input, an output that cannot be written or would overwrite an
input) or, for ``check``, a structure that cannot be read; 1 only under ``--strict`` when
a record had an error. ``screen`` stopped by Ctrl-C exits 130 and by SIGTERM 143, with
whole records in the output; when the reader of its standard output goes away (``| head``)
it stops quietly with 141, as a process killed by SIGPIPE would.

Text that comes from the user or from rule files (structures, ids, paths, SMARTS) is never
read as Rich markup: it is passed as ``rich.text.Text`` or through ``escape``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from classwide._api import classify, resolve_date, resolve_jurisdictions
from classwide._findings import Classification, Status
from classwide._rules import RuleSet
from classwide._schema import json_schema_text
from classwide._vocabulary import KINDS
from classwide.batch import dedicate_process, resolve_workers, rules_with, screen_chunks
from classwide.checks import run_rule_examples
from classwide.errors import EXIT_OK, EXIT_STRICT_FAILED, EXIT_USAGE, ClasswideError, exit_code_for
from classwide.io import (
    RecordStream,
    Writer,
    completed_records,
    detect_format,
    read_records,
    record_json,
)

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Decide from a structure whether drug laws written as classes of structures cover it.",
)
err = Console(stderr=True)

STATUS_STYLE = {
    Status.LISTED: "bold red",
    Status.CLASS: "bold red",
    Status.PRECURSOR: "bold yellow",
    Status.NOT_CONTROLLED: "green",
}

JurisdictionOpt = Annotated[
    Optional[str],  # noqa: UP007 - Typer reads the annotation
    typer.Option("--jurisdiction", "-j", help="Comma-separated codes (default: all known)."),
]
AsOfOpt = Annotated[
    Optional[str],  # noqa: UP007
    typer.Option("--as-of", help="Apply the law of this day, YYYY-MM-DD (default: today)."),
]
AuditUrlOpt = Annotated[
    Optional[str],  # noqa: UP007
    typer.Option("--audit-url", help="SQLAlchemy URL of the audit log (default: SQLite)."),
]
RulesOpt = Annotated[
    Optional[list[Path]],  # noqa: UP007
    typer.Option("--rules", help="An extra rule or scaffold file (repeatable)."),
]


EXIT_INTERRUPTED = 130  # 128 + SIGINT
EXIT_TERMINATED = 143  # 128 + SIGTERM
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE


def _fail(error: ClasswideError | str, code: int = EXIT_USAGE) -> typer.Exit:
    # The message quotes user input (SMILES, SMARTS, paths): it is Text, never markup, so
    # brackets stay as written and a "[/x]" cannot break the output.
    err.print(Text.assemble(("error:", "bold red"), " ", str(error)), soft_wrap=True)
    return typer.Exit(code)


class _Terminated(KeyboardInterrupt):
    """SIGTERM, turned into the clean stop of Ctrl-C: workers killed, whole records kept."""


@contextlib.contextmanager
def _sigterm_stops_cleanly() -> Iterator[None]:
    """Raise ``_Terminated`` in this process on SIGTERM, for the duration of a run.

    Without it SIGTERM ends the process at once and its worker processes live on. Forked
    workers inherit the handler; in them SIGTERM keeps its default meaning.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    owner = os.getpid()

    def handler(signum: int, frame: object) -> None:
        if os.getpid() != owner:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGTERM)
            return
        raise _Terminated

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _silence_stdout() -> None:
    """Point standard output at /dev/null: the final flush at exit then raises nothing."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())


def _output_is_an_input(output: Path, inputs: Sequence[str]) -> str | None:
    """The input that ``output`` would overwrite (same path, link, or same file), if any."""
    target = output.resolve()
    for path in inputs:
        if path == "-":
            continue
        if Path(path).resolve() == target:
            return path
        with contextlib.suppress(OSError):
            if output.exists() and os.path.samefile(path, output):
                return path
    return None


def _rules(extra: list[Path] | None) -> RuleSet:
    return rules_with(extra or ())


@app.command()
def check(
    structure: Annotated[str, typer.Argument(help="A SMILES, an InChI or a MOL block.")],
    jurisdiction: JurisdictionOpt = None,
    as_of: AsOfOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the JSON record.")] = False,
    rules: RulesOpt = None,
) -> None:
    """Classify one structure and say why."""
    try:
        record = classify(structure, jurisdiction, as_of, rules=_rules(rules))
    except ClasswideError as exc:
        raise _fail(exc, exit_code_for(exc)) from None
    if as_json:
        typer.echo(record_json(record))
        return
    _print_record(record)


def _print_record(record: Classification) -> None:
    out = Console()
    out.print(
        f"[bold]{escape(record.standardized or '')}[/]  (law as of {record.as_of})",
        highlight=False,
    )
    for verdict in record.jurisdictions:
        style = STATUS_STYLE[verdict.status]
        out.print(f"\n[bold]{escape(verdict.jurisdiction)}[/]: [{style}]{verdict.status.value}[/]")
        for match in verdict.matches:
            state = "applies" if match.applies else f"does not apply ({match.reason})"
            clauses = f" [{', '.join(match.clauses)}]" if match.clauses else ""
            out.print(
                escape(
                    f"  {match.kind} {match.rule}{clauses} {state}; since {match.since} "
                    f"({match.instrument})"
                ),
                highlight=False,
            )
            out.print(escape(f"    {match.explanation}"), highlight=False)
        for near in verdict.near_misses:
            out.print(escape(f"  {near.rule}: outside: {near.reason}"), highlight=False)
        for note in verdict.review:
            would = "in" if note.class_match_would_be else "outside"
            out.print(
                "  [yellow]review[/] "
                + escape(
                    f"{note.rule}: under the reading '{note.reading}' ({note.alternative}) "
                    f"it would be {would} the class, status {note.status_would_be.value}"
                ),
                highlight=False,
            )


@app.command(name="screen")
def screen_command(
    inputs: Annotated[list[str], typer.Argument(help="Input files, or '-' for SMILES on stdin.")],
    output: Annotated[
        Optional[Path], typer.Option("-o", "--output", help="Output file (default: stdout).")  # noqa: UP007
    ] = None,
    fmt: Annotated[
        str, typer.Option("--format", help="jsonl, csv, sdf, or table (a readable summary).")
    ] = "jsonl",
    jurisdiction: JurisdictionOpt = None,
    as_of: AsOfOpt = None,
    smiles_col: Annotated[
        str, typer.Option("--smiles-col", help="SMILES column of CSV/TSV.")
    ] = "smiles",
    id_col: Annotated[
        Optional[str], typer.Option("--id-col", help="Id column (CSV/TSV) or SD property.")  # noqa: UP007
    ] = None,
    name_col: Annotated[
        Optional[str],  # noqa: UP007
        typer.Option(
            "--name-col", help="CSV/TSV column of names or CAS numbers, instead of SMILES."
        ),
    ] = None,
    workers: Annotated[int, typer.Option("--workers", help="Worker processes (0: all cores).")] = 0,
    full: Annotated[
        bool,
        typer.Option(
            "--full", help="Decide every record on its standardised parent (no prefilter)."
        ),
    ] = False,
    dask: Annotated[
        Optional[str],  # noqa: UP007
        typer.Option(
            "--dask", help="Run on Dask: 'local' or a scheduler address (tcp://host:8786)."
        ),
    ] = None,
    resume: Annotated[
        bool, typer.Option("--resume", help="Continue an interrupted -o file from its last record.")
    ] = False,
    strict: Annotated[
        bool, typer.Option("--strict", help="Exit 1 when any record had an error.")
    ] = False,
    rules: RulesOpt = None,
) -> None:
    """Classify every record of one or more files, one output record per input record."""
    try:
        rule_set = _rules(rules)
        codes = resolve_jurisdictions(rule_set, jurisdiction)
        day = resolve_date(as_of)
        if fmt not in ("jsonl", "csv", "sdf", "table"):
            raise ClasswideError(f"unknown output format {fmt!r} (jsonl, csv, sdf, table)")
        for path in inputs:
            if path != "-" and not Path(path).is_file():
                raise ClasswideError(f"cannot read {path}: no such file")
            detect_format(path)
        if resume and (output is None or fmt == "table"):
            raise ClasswideError("--resume needs an output file (-o) in jsonl, csv or sdf")
        overwritten = _output_is_an_input(output, inputs) if output is not None else None
        if overwritten is not None:
            raise ClasswideError(
                f"the output {output} is the input {overwritten}: writing it would destroy "
                "the input; choose another -o"
            )
    except ClasswideError as exc:
        raise _fail(exc, exit_code_for(exc)) from None

    try:
        with _sigterm_stops_cleanly():
            errors = _screen(
                inputs,
                output,
                fmt,
                codes,
                day,
                rule_set,
                smiles_col=smiles_col,
                id_col=id_col,
                name_col=name_col,
                workers=workers,
                full=full,
                dask=dask,
                resume=resume,
                rules=rules,
            )
    except BrokenPipeError:
        # The reader of standard output has gone (``| head``): nothing to say, to no one.
        _silence_stdout()
        _end_now_if_workers_were_killed(EXIT_BROKEN_PIPE)
        raise typer.Exit(EXIT_BROKEN_PIPE) from None
    except typer.Exit as stop:
        if stop.exit_code in (EXIT_INTERRUPTED, EXIT_TERMINATED):
            # Ctrl-C or SIGTERM: the output is whole and closed, the message written.
            sys.stdout.flush()
            _end_now_if_workers_were_killed(stop.exit_code)
        raise
    except OSError as exc:
        if output is None:
            _silence_stdout()
        where = output if output is not None else "standard output"
        raise _fail(f"cannot write {where}: {exc.strerror or exc}") from None
    if strict and errors:
        raise typer.Exit(EXIT_STRICT_FAILED)
    raise typer.Exit(EXIT_OK)


def _end_now_if_workers_were_killed(code: int) -> None:
    """End the process at once when a stopped run leaves the worker pool's threads behind.

    The worker processes were killed mid-chunk. One killed while handing back a result
    leaves half a message, which the pool's manager thread then waits for, and a normal
    exit waits for that thread (seen with a closed pipe and with Ctrl-C). By then every
    output is written and closed: nothing is lost by not waiting.
    """
    if threading.active_count() > 1:
        sys.stderr.flush()
        os._exit(code)


def _screen(
    inputs: list[str],
    output: Path | None,
    fmt: str,
    codes: tuple[str, ...],
    day: dt.date,
    rule_set: RuleSet,
    *,
    smiles_col: str,
    id_col: str | None,
    name_col: str | None,
    workers: int,
    full: bool,
    dask: str | None,
    resume: bool,
    rules: list[Path] | None,
) -> int:
    """Run a screen and write its records; return how many had an error.

    Raises:
        typer.Exit: on a read error (2, after every record before it is out), on Ctrl-C
            (130) and on SIGTERM (143).
        OSError: when the output cannot be written (BrokenPipeError: its reader left).
    """
    dedicate_process()  # the command owns its process (see batch.dedicate_process)
    done = completed_records(str(output), fmt) if resume and output else 0
    table = fmt == "table"
    errors = written = 0
    table_rows: list[Classification] = []
    with contextlib.ExitStack() as stack:
        try:
            streams = [
                stack.enter_context(
                    read_records(path, smiles_col=name_col or smiles_col, id_col=id_col)
                )
                for path in inputs
            ]
        except ClasswideError as exc:
            raise _fail(exc, exit_code_for(exc)) from None
        if output:
            mode = "a" if done else "w"
            stream = stack.enter_context(open(output, mode, encoding="utf-8", newline=""))
        else:
            stream = sys.stdout
        writer = Writer(stream, "jsonl" if table else fmt, codes, header=not done)
        results = screen_chunks(
            streams,
            codes,
            day,
            fmt=None if table else fmt,
            skip=done,
            rules=rule_set,
            extra_rules=rules or (),
            workers=resolve_workers(workers),
            names=name_col is not None,
            prefilter=not full,
            dask=dask,
        )
        # However the run ends, the generator is closed: that kills the workers it started.
        stack.enter_context(contextlib.closing(results))
        progress = _Progress(streams, done) if err.is_terminal else None
        if progress:
            stack.callback(progress.stop)
        try:
            for result in results:
                written += result.records
                errors += result.errors
                table_rows.extend(result.objects)
                if result.text:
                    writer.write_text(result.text)
                if progress:
                    progress.advance(result.records)
        except ClasswideError as exc:
            # A read failure: every record before it is out (shown, for a table).
            if table:
                _print_table(table_rows, codes)
                exc = ClasswideError(f"{exc} ({written} records were read before it, shown above)")
            else:
                writer.close()
                exc = ClasswideError(
                    f"{exc} ({done + written} records were read before it and are written)"
                )
            raise _fail(exc, EXIT_USAGE) from None
        except KeyboardInterrupt as exc:
            results.close()  # kills the workers, if the signal came while writing
            if not table:
                writer.close()
            stopped = "terminated" if isinstance(exc, _Terminated) else "interrupted"
            err.print(
                f"{stopped} after {done + written} records; the output holds whole records "
                "only: continue with --resume",
                highlight=False,
            )
            code = EXIT_TERMINATED if isinstance(exc, _Terminated) else EXIT_INTERRUPTED
            raise typer.Exit(code) from None
        if progress:
            progress.stop()
        if table:
            _print_table(table_rows, codes)
        else:
            writer.close()
    return errors


class _Progress:
    """A Rich progress bar on standard error: records, records/s, and ETA from bytes read."""

    def __init__(self, streams: Sequence[RecordStream], done: int) -> None:
        from rich.progress import (
            BarColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self.streams = streams
        self.total = sum(s.total_bytes or 0 for s in streams) or None
        self.count = done
        self.started = time.monotonic()
        self.last = 0.0
        self.stopped = False
        self.bar = Progress(
            TextColumn("[bold]screening"),
            BarColumn(),
            TextColumn("{task.fields[records]} records"),
            TextColumn("{task.fields[rate]} records/s"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=err,
            transient=False,
        )
        self.task = self.bar.add_task("screen", total=self.total, records=done, rate="-")
        self.bar.start()

    def advance(self, count: int = 1) -> None:
        self.count += count
        now = time.monotonic()
        if now - self.last < 0.2:
            return
        self.last = now
        position = sum((s.bytes_read() or 0) for s in self.streams)
        rate = self.count / max(now - self.started, 1e-9)
        self.bar.update(self.task, completed=position, records=self.count, rate=f"{rate:,.0f}")

    def stop(self) -> None:
        if self.stopped:
            return
        self.stopped = True
        self.advance(0)
        self.bar.stop()


def _print_table(records: list[Classification], codes: tuple[str, ...]) -> None:
    table = Table(
        title=f"classwide screen (law as of {records[0].as_of if records else '-'})",
        show_lines=False,
        expand=False,
    )
    table.add_column("id", overflow="fold", max_width=28)
    for code in codes:
        table.add_column(code, no_wrap=True)
    table.add_column("why", overflow="fold")
    for record in records:
        if record.error:
            table.add_row(escape(record.id), *["error"] * len(codes), escape(record.error))
            continue
        cells = []
        reasons = []
        for verdict in record.jurisdictions:
            clauses = ",".join(c for m in verdict.matches if m.applies for c in m.clauses)
            label = verdict.status.value + (f" {clauses}" if clauses else "")
            cells.append(Text(label, style=STATUS_STYLE[verdict.status]))
            if verdict.matches:
                first = verdict.matches[0]
                label = "" if first.kind == "listed" else f"{first.rule}: "
                reasons.append(f"{verdict.jurisdiction}: {label}{first.explanation}")
            elif verdict.near_misses:
                reasons.append(f"{verdict.jurisdiction}: {verdict.near_misses[0].reason}")
            if verdict.review:
                reasons.append(
                    f"{verdict.jurisdiction} review: "
                    + ", ".join(r.reading for r in verdict.review)
                )
        table.add_row(
            escape(record.id), *cells, escape(" | ".join(dict.fromkeys(reasons)) or "no class core")
        )
    Console(width=160).print(table)


@app.command(name="rules")
def rules_command(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    run_examples: Annotated[
        bool,
        typer.Option(
            "--check",
            help="Run the rule files' own examples (with --rules: only those files').",
        ),
    ] = False,
    vocabulary: Annotated[
        bool,
        typer.Option("--vocabulary", help="Print every word a clause may use, with its meaning."),
    ] = False,
    schema: Annotated[
        bool, typer.Option("--schema", help="Print the JSON Schema of rule files.")
    ] = False,
    rules: RulesOpt = None,
) -> None:
    """List every rule set (id, jurisdiction, title, citation, dates), or check rule files."""
    if schema:
        typer.echo(json_schema_text(), nl=False)
        return
    if vocabulary:
        _print_vocabulary(as_json)
        return
    try:
        rule_set = _rules(rules)
    except ClasswideError as exc:
        raise _fail(exc, exit_code_for(exc)) from None
    if run_examples:
        # The file passed the format on loading; its own examples say what it means.
        given = {str(path) for path in rules} if rules else None
        checked = [r for r in rule_set.rules if given is None or r.path in given]
        failures = run_rule_examples(rule_set, given)
        for failure in failures:
            err.print(Text.assemble(("FAIL", "red"), " ", failure), soft_wrap=True)
        for rule in checked:
            err.print(
                Text(f"checked {rule.id} ({rule.path}): {len(rule.examples)} examples"),
                soft_wrap=True,
            )
        err.print(f"{len(failures)} example(s) failed", highlight=False)
        if failures:
            raise typer.Exit(EXIT_STRICT_FAILED)
        if not as_json:
            return
    if as_json:
        typer.echo(
            json.dumps(
                {"rules_version": rule_set.version, "rules": rule_set.summaries()},
                ensure_ascii=False,
                indent=2,
            )
        )
        return
    table = Table(title=Text(f"classwide rules {rule_set.version}"))
    for name in ("id", "jurisdiction", "kind", "title", "citation", "effective"):
        table.add_column(name, overflow="fold")
    for item in rule_set.summaries():
        if "entries" in item:
            dates = sorted(e["since"] for e in item["entries"])
            counts = item["counts"]
            periods = (
                f"{len(dates)} entries, from {dates[0] if dates else '-'} to "
                f"{dates[-1] if dates else '-'}; structures: {counts['verified_structures']} "
                f"verified, {counts['unverified_structures']} one source only, "
                f"{counts['without_structure']} without one (see --json)"
            )
        else:
            periods = "\n".join(
                f"{p['from']} - {p['until'] or 'in force'}: {p['instrument']}"
                for p in item["effective"]
            )
        table.add_row(
            *(
                escape(str(x))
                for x in (item["id"], item["jurisdiction"], item["kind"], item["title"])
            ),
            escape(item["citation"]),
            escape(periods),
        )
    Console(width=160).print(table)


def _print_vocabulary(as_json: bool) -> None:
    """The words of the law that rule files may use (``_vocabulary.KINDS``)."""
    if as_json:
        kinds = [kind.to_dict() for kind in KINDS]
        typer.echo(json.dumps({"kinds": kinds}, ensure_ascii=False, indent=2))
        return
    table = Table(title="classwide vocabulary: the words clauses may use")
    for name in ("word", "usable as", "parameters", "meaning"):
        table.add_column(name, overflow="fold")
    for kind in KINDS:
        table.add_row(
            escape(kind.name),
            ", ".join(kind.usable_as) or "(names only)",
            escape("\n".join(f"{p.name}: {p.means}" for p in kind.parameters)),
            escape(kind.means),
        )
    Console(width=160).print(table)


@app.command()
def serve(
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to listen on.")] = 8000,
    audit_url: AuditUrlOpt = None,
    rules: RulesOpt = None,
    allowed_host: Annotated[
        Optional[list[str]],  # noqa: UP007
        typer.Option(
            "--allowed-host",
            help="A host name the server answers to, besides localhost and its own address "
            "(repeatable; '.example.org' allows subdomains; default: CLASSWIDE_ALLOWED_HOSTS).",
        ),
    ] = None,
    job_retention_hours: Annotated[
        Optional[float],  # noqa: UP007
        typer.Option(
            "--job-retention-hours",
            help="Delete finished jobs and their files after this long "
            "(default: CLASSWIDE_JOB_RETENTION_HOURS, else 24).",
        ),
    ] = None,
) -> None:
    """Serve the web page and the REST API (OpenAPI at /docs)."""
    try:
        import uvicorn

        from classwide.service import Settings, create_app
    except ImportError:
        raise _fail("the service needs its extras: pip install 'classwide[api]'") from None
    settings = Settings(rules=_rules(rules), extra_rules=tuple(rules or ()), audit_url=audit_url)
    if allowed_host:
        settings = replace(settings, allowed_hosts=(*settings.allowed_hosts, *allowed_host))
    if job_retention_hours is not None:
        settings = replace(settings, job_retention_seconds=3600 * job_retention_hours)
    application = create_app(settings)
    uvicorn.run(application, host=host, port=port, log_level="info")


@app.command()
def audit(
    limit: Annotated[int, typer.Option("--limit", help="Newest N entries (0: all).")] = 50,
    csv_out: Annotated[
        Optional[Path], typer.Option("--csv", help="Export as CSV to this file.")  # noqa: UP007
    ] = None,
    audit_url: AuditUrlOpt = None,
) -> None:
    """List or export the audit log of the service: every check and job."""
    try:
        from classwide.service.audit import AuditLog
    except ImportError:
        raise _fail("the audit log needs its extras: pip install 'classwide[api]'") from None
    log = AuditLog(audit_url)
    if csv_out:
        csv_out.write_text(log.to_csv(limit or None), encoding="utf-8")
        err.print(Text(f"wrote {csv_out}"), highlight=False)
        return
    table = Table(title=Text(f"classwide audit log ({log.url})"))
    for name in ("id", "time", "kind", "input", "verdicts", "rules_version"):
        table.add_column(name, overflow="fold")
    for entry in log.entries(limit or None):
        row = entry.to_dict()
        table.add_row(
            *(
                Text(str(x))
                for x in (
                    row["id"],
                    row["time"][:19],
                    row["kind"],
                    row["input"][:60],
                    json.dumps(row["verdicts"]),
                    row["rules_version"],
                )
            )
        )
    Console(width=160).print(table)


def main() -> None:
    """Entry point of the ``classwide`` command."""
    app()


if __name__ == "__main__":
    main()
