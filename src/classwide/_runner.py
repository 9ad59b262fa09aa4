"""The one submission loop of every parallel runner: ordered, bounded, and fault-tolerant.

A runner (the local process pool, a Dask cluster) supplies three things: ``submit``,
which starts one chunk and returns its pending result; a bound on the chunks in flight,
so that memory does not grow with the input; and a failure policy, which turns a chunk
that failed into results. The loop yields one result per chunk, in input order, as soon
as the chunk at the head is done.

The module knows nothing of records or rules, so runners depend on it and not on each
other.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import Generic, Protocol, TypeVar

C = TypeVar("C")  # a chunk of work
R = TypeVar("R")  # what one chunk gives
R_co = TypeVar("R_co", covariant=True)


class Pending(Protocol[R_co]):
    """A result still being computed (a ``concurrent.futures`` or a Dask future)."""

    def result(self, timeout: float | None = None) -> R_co:
        """Wait for the result and return it, or raise the chunk's failure."""
        ...


OnFailure = Callable[[Exception, tuple[C, ...]], Iterable[R]]


class ReadAhead(Generic[C]):
    """Chunks to submit; a read failure waits until the chunks read before it are out.

    A truncated file must not cost the records read before the damage: the error is kept
    and raised once every chunk in flight has been yielded.
    """

    def __init__(self, chunks: Iterator[C]) -> None:
        self.chunks = chunks
        self.failure: Exception | None = None

    def next(self) -> C | None:
        """The next chunk, or None at the end or after a read failure."""
        if self.failure is not None:
            return None
        try:
            return next(self.chunks, None)
        except Exception as exc:  # noqa: BLE001 - raised again once the work in flight is out
            self.failure = exc
            return None

    def raise_failure(self) -> None:
        """Raise the read failure, if there was one."""
        if self.failure is not None:
            raise self.failure


def _no_timeout(chunk: object) -> float | None:
    return None


def in_order(
    chunks: Iterator[C],
    submit: Callable[[C], Pending[R]],
    *,
    limit: int,
    timeout: Callable[[C], float | None] = _no_timeout,
    on_failure: OnFailure[C, R] | None = None,
) -> Iterator[R]:
    """Submit chunks with at most ``limit`` in flight and yield their results in order.

    Args:
        chunks: the work, read lazily; a read error is raised after the chunks before it.
        submit: starts one chunk and returns its pending result.
        limit: the most chunks submitted and not yet yielded.
        timeout: seconds to wait for a chunk once it is at the head (None: no limit).
        on_failure: the failure policy. It is called with the error of the chunk at the
            head and every chunk in flight, head first, and yields the results of the
            chunks it takes over, from the head: at least the head, or all of them when
            the runner itself is broken and their pending results are lost. Each result
            it yields retires one chunk. A policy that yields nothing, or None, lets the
            error through.

    Yields:
        One result per chunk, in input order.

    Raises:
        Exception: the read failure of ``chunks``, or a chunk's failure that no policy took.
    """
    reading = ReadAhead(chunks)
    in_flight: deque[tuple[C, Pending[R]]] = deque()
    while True:
        while len(in_flight) < limit and (chunk := reading.next()) is not None:
            in_flight.append((chunk, submit(chunk)))
        if not in_flight:
            reading.raise_failure()
            return
        chunk, pending = in_flight[0]
        try:
            result = pending.result(timeout=timeout(chunk))
        except Exception as exc:  # noqa: BLE001 - the failure policy decides
            error = exc
        else:
            in_flight.popleft()
            yield result
            continue
        taken = 0
        if on_failure is not None:
            for result in on_failure(error, tuple(c for c, _ in in_flight)):
                in_flight.popleft()
                taken += 1
                yield result
        if not taken:
            raise error


__all__ = ["OnFailure", "Pending", "ReadAhead", "in_order"]
