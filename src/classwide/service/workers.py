"""Checks run in a few worker processes, under a watchdog that kills one that runs over.

A check can run long: a huge cage in RDKit, or a JVM parsing a name. In a server thread no
time limit can stop it, so ``/check`` hands each structure to a small pool of processes
(``CheckPool``) and waits at most ``seconds`` for the answer. A worker that runs over, or
dies, is killed with everything it started (its process group: OPSIN's JVM too) and
replaced; the request gets a clear error, and the other workers go on.

Workers are forked from the server (as the batch runner's are), so that they share the
rule set already loaded, whatever files it came from.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import multiprocessing as mp
import os
import queue
import signal
import threading
from multiprocessing.connection import Connection
from typing import Any

from classwide import errors
from classwide._api import classify
from classwide._limits import Limits
from classwide._rules import RuleSet
from classwide.errors import ClasswideError

log = logging.getLogger("classwide.service")

# How long a new worker may take to be ready (it forks with the rules already loaded).
START_SECONDS = 120.0


class CheckTimeout(ClasswideError):
    """A check that ran over its time (a 422: the input is at fault, as in a batch)."""

    limit = "seconds_per_record"


class ServiceBusy(ClasswideError):
    """No worker free in time (a 503: try again later)."""


class WorkerFailed(ClasswideError):
    """A worker process died on a check (a 500, without internals)."""


def _rebuild(name: str, message: str, limit: str | None) -> ClasswideError:
    """The core's error, as raised in a worker (errors with extra arguments don't pickle)."""
    cls = getattr(errors, name, None)
    if not (isinstance(cls, type) and issubclass(cls, ClasswideError)):
        cls = ClasswideError
    exc = cls.__new__(cls)
    Exception.__init__(exc, message)
    if limit:
        exc.limit = limit  # type: ignore[attr-defined]
    return exc


def run_check(
    rules: RuleSet,
    limits: Limits,
    structure: str,
    codes: tuple[str, ...],
    as_of: dt.date,
    depict: bool,
) -> tuple[Any, ...]:
    """One check, as a worker runs it: ``("ok", record dict, audit fields)`` or an error."""
    try:
        record = classify(structure, codes, as_of, rules=rules, limits=limits)
        out = record.to_dict()
        if depict and record.standardized:
            from classwide.depict import draw_svg, highlights

            out["depictions"] = {
                v.jurisdiction: {
                    # In a mixture, a verdict's atoms are those of the component that
                    # decided it, which may not be the record's parent.
                    "svg": draw_svg(v.component or record.standardized, v),
                    "legend": highlights(v)[1],
                }
                for v in record.jurisdictions
            }
        verdicts = {v.jurisdiction: v.status.value for v in record.jurisdictions}
        return ("ok", out, record.standardized, verdicts, record.as_of, record.rules_version)
    except ClasswideError as exc:
        return ("error", type(exc).__name__, str(exc), getattr(exc, "limit", None))
    except Exception as exc:  # noqa: BLE001 - a bug on one structure, as data
        return ("bug", type(exc).__name__)


def _serve(conn: Connection, rules: RuleSet, limits: Limits, parent: int) -> None:
    """A worker's loop: answer checks until the pipe closes or the server is gone."""
    os.setpgrp()  # its own process group: killing it kills what it started (a JVM)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the server decides when to stop
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    conn.send(("ready",))
    while True:
        try:
            if not conn.poll(1.0):
                if os.getppid() != parent:
                    return
                continue
            task = conn.recv()
        except (EOFError, OSError):
            return
        conn.send(run_check(rules, limits, *task))


class _Worker:
    def __init__(self, context: Any, rules: RuleSet, limits: Limits) -> None:
        self.conn, child = context.Pipe()
        self.process = context.Process(
            target=_serve, args=(child, rules, limits, os.getpid()), daemon=True
        )
        self.process.start()
        child.close()
        self.ready = False

    def wait_ready(self) -> bool:
        if not self.ready and self.conn.poll(START_SECONDS):
            self.ready = self.conn.recv() == ("ready",)
        return self.ready

    def kill(self) -> None:
        with contextlib.suppress(OSError, ValueError, TypeError):
            os.killpg(self.process.pid, signal.SIGKILL)
        with contextlib.suppress(Exception):
            self.process.kill()
        with contextlib.suppress(Exception):
            self.process.join(5)
        self.conn.close()


class CheckPool:
    """A fixed number of worker processes; each check gets one, and a deadline.

    Args:
        size: worker processes.
        rules: the rule set (workers inherit it).
        limits: the core's per-record limits.
        queue_seconds: how long a check waits for a free worker (then ``ServiceBusy``).
    """

    def __init__(self, size: int, rules: RuleSet, limits: Limits, queue_seconds: float) -> None:
        method = "fork" if "fork" in mp.get_all_start_methods() else "spawn"
        self._context = mp.get_context(method)
        self.rules, self.limits, self.queue_seconds = rules, limits, queue_seconds
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._lock = threading.Lock()
        self._live = 0  # workers started and not closed: idle or busy
        self.size = max(1, size)
        for _ in range(self.size):
            self._idle.put(self._start())
            self._live += 1

    def _start(self) -> _Worker:
        return _Worker(self._context, self.rules, self.limits)

    def _acquire(self) -> _Worker:
        """An idle worker; a new one while fewer than ``size`` live (after ``close``)."""
        with self._lock:
            try:
                return self._idle.get_nowait()
            except queue.Empty:
                if self._live < self.size:
                    self._live += 1
                    return self._start()
        try:
            return self._idle.get(timeout=self.queue_seconds)
        except queue.Empty:
            raise ServiceBusy(
                f"every worker is busy (waited {self.queue_seconds:g} s): try again later"
            ) from None

    def run(
        self, structure: str, codes: tuple[str, ...], as_of: dt.date, depict: bool, seconds: float
    ) -> tuple[Any, ...]:
        """Check one structure in a worker (blocking: call it from a thread).

        Returns:
            ``("ok", record, standardized, verdicts, as_of, rules_version)``.

        Raises:
            ClasswideError: the core's error for the input, ``CheckTimeout`` past
                ``seconds``, ``ServiceBusy`` or ``WorkerFailed``.
        """
        worker = self._acquire()
        healthy = False
        try:
            if not worker.wait_ready():
                raise WorkerFailed("a worker process did not start")
            worker.conn.send((structure, codes, as_of, depict))
            if not worker.conn.poll(seconds):
                raise CheckTimeout(f"timeout: over {seconds:g} s on this structure")
            answer = worker.conn.recv()
            healthy = True
        except (EOFError, OSError, BrokenPipeError):
            raise WorkerFailed("the worker process died on this structure") from None
        finally:
            if not healthy:
                worker.kill()
                worker = self._start()
            self._idle.put(worker)
        if answer[0] == "ok":
            return answer
        if answer[0] == "error":
            raise _rebuild(*answer[1:])
        log.error("check failed in a worker: %s", answer[1])
        raise RuntimeError(f"internal error in a check worker ({answer[1]})")

    def close(self) -> None:
        """Stop the idle workers (busy ones finish first); a later check starts new ones."""
        while True:
            with self._lock:
                try:
                    worker = self._idle.get_nowait()
                except queue.Empty:
                    return
                self._live -= 1
            worker.kill()


__all__ = ["CheckPool", "CheckTimeout", "ServiceBusy", "WorkerFailed", "run_check"]
