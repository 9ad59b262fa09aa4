"""The same per-chunk function on a Dask distributed cluster.

``screen ... --dask local`` starts a local cluster (one single-threaded worker process per
core); ``--dask tcp://host:8786`` uses a running scheduler. Each worker compiles the rule
files once (their contents travel with the job, so workers need no shared file system),
chunks are submitted with a bounded number in flight, and results come back in input
order. A chunk whose worker is lost is retried by Dask; if it still fails, it is run here,
so that no record is lost.

The per-chunk function is passed in, so this module depends on the runner loop only and
not on ``classwide.batch``, which calls it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TypeVar

from classwide._runner import Pending, in_order
from classwide.errors import ClasswideError

C = TypeVar("C")  # a chunk of work
J = TypeVar("J")  # what every chunk needs besides itself (picklable)
R = TypeVar("R")  # what one chunk gives


def screen_on_dask(
    chunks: Iterator[C],
    task: Callable[[J, C], R],
    job: J,
    address: str,
    workers: int,
) -> Iterator[R]:
    """Yield ``task(job, chunk)`` for every chunk, in order, computed on a Dask cluster.

    Args:
        chunks: the work, read lazily.
        task: the per-chunk function; it must be importable by the workers.
        job: its first argument, the same for every chunk.
        address: "local" for a local cluster of ``workers`` processes, or a scheduler
            address.
        workers: the size of a local cluster.

    Yields:
        One result per chunk, in input order.

    Raises:
        ClasswideError: when Dask's distributed scheduler is not installed.
    """
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        raise ClasswideError(
            "--dask needs the dask[distributed] package: pip install 'classwide[dask]'"
        ) from None

    cluster = None
    if address == "local":
        cluster = LocalCluster(
            n_workers=max(1, workers),
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
        )
        client = Client(cluster)
    else:
        client = Client(address)

    def submit(chunk: C) -> Pending[R]:
        return client.submit(task, job, chunk, pure=False, retries=2)

    def run_here(error: Exception, in_flight: tuple[C, ...]) -> Iterator[R]:
        # Dask has already retried the chunk on other workers; running it in this process
        # is the last resort, so that a lost worker never costs records.
        yield task(job, in_flight[0])

    try:
        size = max(1, sum(client.nthreads().values()))
        yield from in_order(chunks, submit, limit=size * 4, on_failure=run_here)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


__all__ = ["screen_on_dask"]
