"""The same per-chunk function on a Dask distributed cluster.

``screen ... --dask local`` starts a local cluster (one single-threaded worker process per
core); ``--dask tcp://host:8786`` uses a running scheduler. Each worker compiles the rule
files once (their contents travel with the job, so workers need no shared file system),
chunks are submitted with a bounded number in flight, and results come back in input
order. A chunk whose worker is lost is retried by Dask; if it still fails, it is run here,
so that no record is lost.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator


def screen_on_dask(
    chunks: Iterator,
    job,
    address: str,
    workers: int,
    raw: bool = False,  # type: ignore[no-untyped-def]
) -> Iterator:
    """Yield the records of every chunk, in order, computed on a Dask cluster.

    With ``raw``, chunks are ``RawChunk`` text and each yields ``(text, records, errors)``.
    """
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        from classwide.errors import ClasswideError

        raise ClasswideError(
            "--dask needs the dask[distributed] package: pip install 'classwide[dask]'"
        ) from None
    from classwide.batch import ReadAhead, run_chunk, run_raw_chunk

    task = run_raw_chunk if raw else run_chunk
    reading = ReadAhead(chunks)

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
    try:
        size = max(1, sum(client.nthreads().values()))
        in_flight: deque = deque()
        while True:
            while len(in_flight) < size * 4 and (chunk := reading.next()) is not None:
                in_flight.append((chunk, client.submit(task, job, chunk, pure=False, retries=2)))
            if not in_flight:
                reading.raise_failure()
                return
            chunk, future = in_flight.popleft()
            try:
                results = future.result()
            except Exception:  # noqa: BLE001 - a lost worker or a failed task: run it here
                results = task(job, chunk)
            if raw:
                yield results
            else:
                yield from results
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
