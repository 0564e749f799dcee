"""Run a batch of tasks in this process or on a Dask cluster, recording each in the manifest."""

from __future__ import annotations

import contextlib
import logging
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mrisr import __version__
from mrisr.batch.inputs import Item, output_name, sha256_of
from mrisr.batch.job import Job, Task, process
from mrisr.batch.manifest import MANIFEST_NAME, Manifest
from mrisr.errors import InputError

logger = logging.getLogger(__name__)


@dataclass
class Summary:
    """What a batch did: counts, wall time, the failures (input, error) and the manifest's path."""

    done: int = 0
    skipped: int = 0
    failed: int = 0
    seconds: float = 0.0
    failures: list[tuple[str, str]] = field(default_factory=list)
    manifest: Path | None = None

    def line(self) -> str:
        """One line: ``'20 done, 0 skipped, 2 failed in 14.2 s'``."""
        return f"{self.done} done, {self.skipped} skipped, {self.failed} failed in {self.seconds:.1f} s"


def plan(items: Sequence[Item], out_dir: str | Path, job: Job, *, suffix: str = "") -> list[tuple[str, Task]]:
    """Pair each input with its output under ``out_dir`` (the input tree mirrored, ``suffix`` before the extension).

    Paths are made absolute, so that workers started in another folder find them.
    """
    out_dir = Path(out_dir).absolute()
    return [(it.rel, Task(it.source.absolute(), out_dir / output_name(it.rel, suffix), job)) for it in items]


def one_line(exc: BaseException) -> str:
    """An exception as one line; types other than the user-mistake ones are named."""
    text = str(exc).strip()
    msg = text.splitlines()[0] if text else type(exc).__name__
    return msg if isinstance(exc, (ValueError, OSError)) else f"{type(exc).__name__}: {msg}"


def remove_stale_temporaries(task: Task) -> None:
    """Delete temporary files a killed writer left beside ``task``'s outputs (names of :mod:`mrisr._atomic`)."""
    for target in (task.output, task.sidecar_path()):
        if target.parent.is_dir():
            for tmp in target.parent.glob(f".{target.name}.*.tmp*"):
                with contextlib.suppress(FileNotFoundError):
                    tmp.unlink()
                    logger.info("removed %s, left by an interrupted run", tmp)


def _record(key: str, task: Task, out_dir: Path) -> dict[str, Any]:
    try:
        output = task.output.relative_to(out_dir).as_posix()
    except ValueError:
        output = str(task.output)
    return {"input": key, "output": output, "sha256": None, "method": task.job.method,
            "params": task.job.record(), "version": __version__, "status": None, "error": None, "seconds": None}


class _Batch:
    """The client side of one batch: the manifest, the counts and the progress bar."""

    def __init__(self, out_dir: Path, total: int, *, progress: bool, on_record: Callable | None) -> None:
        from tqdm.auto import tqdm

        self.manifest = Manifest(out_dir / MANIFEST_NAME)
        self.summary = Summary(manifest=self.manifest.path)
        self.bar = tqdm(total=total, disable=not progress, unit="item", desc="mrisr")
        self.on_record = on_record

    def finish(self, rec: dict[str, Any], error: BaseException | None = None, seconds: float | None = None) -> bool:
        """Record an item's result; True when it failed."""
        rec["status"], rec["seconds"] = ("failed" if error else "done"), seconds
        rec["error"] = one_line(error) if error else None
        self.manifest.append(rec)
        if error:
            self.summary.failed += 1
            self.summary.failures.append((rec["input"], rec["error"]))
        else:
            self.summary.done += 1
        self.bar.update()
        if self.on_record:
            self.on_record(rec)
        return error is not None

    def skip(self) -> None:
        self.summary.skipped += 1
        self.bar.update()


def _pending(batch: _Batch, tasks: Sequence[tuple[str, Task]], out_dir: Path) -> list[tuple[Task, dict]]:
    """Hash every input; count the done ones as skipped, record unreadable ones as failed."""
    todo = []
    for key, task in tasks:
        rec = _record(key, task, out_dir)
        try:
            rec["sha256"] = sha256_of(task.source)
        except OSError as exc:
            batch.finish(rec, exc)
            continue
        if batch.manifest.is_done(rec, task.output):
            batch.skip()
            continue
        remove_stale_temporaries(task)
        todo.append((task, rec))
    return todo


def _run_here(batch: _Batch, todo: list[tuple[Task, dict]], fail_fast: bool) -> None:
    for task, rec in todo:
        start = time.perf_counter()
        try:
            seconds = process(task)
        except Exception as exc:  # one bad input is one manifest line, not the end of the batch
            if batch.finish(rec, exc, round(time.perf_counter() - start, 3)) and fail_fast:
                return
            continue
        batch.finish(rec, None, round(seconds, 3))


def _run_on(client, batch: _Batch, todo: list[tuple[Task, dict]], fail_fast: bool) -> None:
    from distributed import as_completed

    # A key new to the scheduler for every task: Dask hands back the result held under a known key instead of
    # running the task, so keys built from the input (its index, its hash) would let a second batch with the
    # same inputs, or another client of a shared scheduler, record outputs as done that were never written.
    batch_id = uuid.uuid4().hex[:12]
    futures = {client.submit(process, task, key=f"mrisr-{batch_id}-{i}", pure=False): rec
               for i, (task, rec) in enumerate(todo)}
    try:
        for fut in as_completed(list(futures)):
            try:
                seconds = fut.result()
            except Exception as exc:  # the worker's error, or KilledWorker after repeated worker deaths
                if batch.finish(futures[fut], exc) and fail_fast:
                    return
                continue
            batch.finish(futures[fut], None, round(seconds, 3))
    finally:
        client.cancel([f for f in futures if not f.done()])


def run_batch(tasks: Sequence[tuple[str, Task]], out_dir: str | Path, *, fail_fast: bool = False,
              progress: bool = True, client=None, on_record: Callable[[dict], None] | None = None) -> Summary:
    """Run ``tasks`` (manifest key, task), skipping those the manifest in ``out_dir`` records as done.

    Parameters
    ----------
    tasks : sequence of (str, Task)
        From :func:`plan`, or built by hand (``mrisr bids`` does).
    out_dir : str or Path
        The output folder (created); the manifest is ``out_dir/mrisr-manifest.jsonl``.
    fail_fast : bool
        Stop at the first failed input (default: record it and go on).
    progress : bool
        Show a progress bar over the items.
    client : distributed.Client, optional
        Run each task on this Dask cluster; this process alone writes the
        manifest, the workers write the outputs (atomically, so a worker killed
        mid-item leaves nothing half-written and the item is run again).
    on_record : callable, optional
        Called with each manifest record as it is written.

    Returns
    -------
    Summary
        An item is *done* when its output was written, *skipped* when the
        manifest already records it done for the same input hash, method and
        parameters (and the output exists), *failed* otherwise.
    """
    out_dir = Path(out_dir).absolute()
    out_dir.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    batch = _Batch(out_dir, len(tasks), progress=progress, on_record=on_record)
    try:
        todo = _pending(batch, tasks, out_dir)
        if client is None:
            _run_here(batch, todo, fail_fast)
        else:
            _run_on(client, batch, todo, fail_fast)
    finally:
        batch.bar.close()
        batch.summary.seconds = time.perf_counter() - start
    return batch.summary


@contextlib.contextmanager
def dask_client(*, scheduler: str | None = None, workers: int | None = None) -> Iterator[Any]:
    """A Dask client for ``scheduler`` (``tcp://HOST:PORT``), or for a local cluster of ``workers`` processes.

    Yields ``None`` when neither is given (run in this process). Local workers
    run one task each at a time.

    Raises
    ------
    InputError
        If dask's ``distributed`` is not installed or the scheduler cannot be reached.
    """
    if not scheduler and not workers:
        yield None
        return
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise InputError("--scheduler and --workers need Dask: pip install 'mrisr[cluster]'") from None
    # distributed sets its loggers to INFO on import: follow the caller's level instead (mrisr -v shows them)
    logging.getLogger("distributed").setLevel(logging.getLogger().getEffectiveLevel())
    if scheduler:
        try:
            client = Client(scheduler, timeout="20s")
        except (OSError, TimeoutError) as exc:
            raise InputError(f"cannot reach the Dask scheduler ({one_line(exc)})", scheduler) from None
        with client:
            yield client
        return
    with _no_malloc_trim(), LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                         dashboard_address=":0", silence_logs=logging.ERROR) as cluster, \
            Client(cluster) as client:
        yield client


@contextlib.contextmanager
def _no_malloc_trim() -> Iterator[None]:
    """Spawn local workers without Dask's default ``MALLOC_TRIM_THRESHOLD_=65536``.

    Setting it switches off glibc's adaptive mmap threshold, so every large
    array is mapped and unmapped afresh: ELRTV ran 2-3x slower per image in
    such a worker than in a plain process (2.1 vs 4.2 s measured here with
    only the variable changed). Kept for the cluster's life, so workers
    restarted after a crash get the same environment.
    """
    import dask

    environ = dict(dask.config.get("distributed.nanny.pre-spawn-environ", default={}) or {})
    environ.pop("MALLOC_TRIM_THRESHOLD_", None)
    with dask.config.set({"distributed.nanny.pre-spawn-environ": environ}):
        yield
