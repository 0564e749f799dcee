"""The options and the run of a batch (``mrisr upscale FOLDER``, ``mrisr bids``): manifest, summary, cluster."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from mrisr.cli.options import positive_int

BATCH_OPTIONS = ("suffix", "fail_fast", "scheduler", "workers")


def add_batch_arguments(p: argparse.ArgumentParser, *, suffix: bool = True) -> None:
    """``--fail-fast``, ``--scheduler``, ``--workers`` (and ``--suffix``) for commands that run many inputs."""
    g = p.add_argument_group("many inputs (resumable: OUT/mrisr-manifest.jsonl records what is done)")
    if suffix:
        g.add_argument("--suffix", default="",
                       help="added to each output's name before its extension (default: the input's name)")
    g.add_argument("--fail-fast", action="store_true", help="stop at the first input that fails")
    g.add_argument("--scheduler", metavar="tcp://HOST:PORT",
                   help="run each input on this Dask distributed cluster (inputs and OUT on a shared filesystem)")
    g.add_argument("--workers", type=positive_int, metavar="N",
                   help="run N worker processes on this machine (a local Dask cluster)")


def check_batch_options(args: argparse.Namespace, batch: bool) -> None:
    """Refuse batch options on a single input, and ``--scheduler`` with ``--workers``."""
    if not batch:
        given = [f"--{o.replace('_', '-')}" for o in BATCH_OPTIONS if getattr(args, o, None)]
        if given:
            raise ValueError(f"{', '.join(given)} apply when the input is a folder or a list file")
    if getattr(args, "scheduler", None) and getattr(args, "workers", None):
        raise ValueError("give either --scheduler or --workers, not both")


def job_threads(args: argparse.Namespace) -> int | None:
    """Threads per item: ``--threads``, else the cores shared among ``--workers`` local processes."""
    if args.threads or not getattr(args, "workers", None):
        return args.threads
    return max(1, (os.cpu_count() or 1) // args.workers)


def _say_failure(rec: dict) -> None:
    if rec["status"] == "failed":
        from tqdm.auto import tqdm

        error = rec["error"] or ""
        # most errors already name the file (as an absolute path); name it once
        said = error if Path(rec["input"]).name in error else f"{rec['input']}: {error}"
        tqdm.write(f"mrisr: failed: {said}", file=sys.stderr)


def run_tasks(args: argparse.Namespace, tasks: list, out_dir) -> int:
    """Run ``tasks`` into ``out_dir``, print the summary line; exit code 1 when any input failed.

    ``out_dir`` is created first (and kept, with what is done, if the run is
    interrupted: the manifest resumes it) and locked for the run, so a second
    run into it stops with one line.
    """
    from pathlib import Path

    from mrisr._outputs import output_folder
    from mrisr.batch import dask_client, run_batch

    Path(out_dir).mkdir(parents=True, exist_ok=True)
    with output_folder(out_dir), dask_client(scheduler=args.scheduler, workers=args.workers) as client:
        summary = run_batch(tasks, out_dir, fail_fast=args.fail_fast, progress=not getattr(args, "no_progress", False),
                            client=client, on_record=_say_failure)
    print(f"{summary.line()}; manifest {summary.manifest}")
    return 1 if summary.failed else 0
