"""Batch throughput: one process against a local Dask cluster of N workers, side by side in one run.

Copies ``--count`` LR images of a split (cycling through them) into a scratch
folder, then super-resolves the folder with :func:`mrisr.batch.run_batch`:

* one process, one BLAS/torch thread (``Job(threads=1)``);
* one process, threads not capped (what ``mrisr upscale`` does without ``--threads``);
* ``--workers N`` local worker processes of one thread each.

Both sides are warmed up before the clock starts (this process and each worker
run one item first), so the rows measure throughput, not imports and start-up;
the cluster's start-up is reported apart.

Each row writes into its own fresh output folder; outputs of the one-thread
row and the cluster row are compared byte for byte. The load average before
and after is printed, since a busy machine changes everything here.

Example (as reported in ``benchmarks/results/batch_throughput.md``)::

    python benchmarks/batch_throughput.py --data /path/ixi-t2-midslices --split val --scale 2 \\
        --count 24 --workers 2 --out benchmarks/results/batch_throughput.md
"""

from __future__ import annotations

import argparse
import filecmp
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

from mrisr._atomic import atomic_write_text
from mrisr.batch import Job, dask_client, find_inputs, plan, run_batch


def _parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", required=True, help="data root with '<split> x<scale>' LR folders")
    p.add_argument("--split", default="val")
    p.add_argument("--scale", type=int, default=2)
    p.add_argument("--method", default="elrtv")
    p.add_argument("--count", type=int, default=24, help="number of inputs (LR images are reused)")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--out", help="write the table as Markdown to this file")
    return p.parse_args(argv)


def _inputs(data: Path, split: str, scale: int, count: int, folder: Path) -> Path:
    lr = sorted((data / f"{split} x{scale}").glob("*.png"))
    if not lr:
        sys.exit(f"no PNG files in {data / f'{split} x{scale}'}")
    src = folder / "in"
    src.mkdir(parents=True)
    for i in range(count):
        shutil.copy(lr[i % len(lr)], src / f"{i:03d}_{lr[i % len(lr)].name}")
    return src


def _row(name: str, src: Path, out: Path, job: Job, client=None) -> dict:
    tasks = plan(find_inputs(src), out, job)
    summary = run_batch(tasks, out, progress=False, client=client)
    if summary.failed:
        sys.exit(f"{name}: {summary.failed} inputs failed")
    return {"name": name, "seconds": summary.seconds, "done": summary.done, "out": out}


def _same_outputs(a: Path, b: Path) -> bool:
    names = sorted(p.name for p in a.glob("*.png"))
    return names == sorted(p.name for p in b.glob("*.png")) and all(
        filecmp.cmp(a / n, b / n, shallow=False) for n in names)


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    load0 = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        src = _inputs(Path(args.data), args.split, args.scale, args.count, tmp)
        warm_src = tmp / "warm"
        warm_src.mkdir()
        for i, item in enumerate(sorted(src.iterdir())[: args.workers]):
            shutil.copy(item, warm_src / f"w{i}.png")
        # imports and first-call set-up happen here, outside the timed rows, as the cluster's warm-up does
        _row("warm-up", warm_src, tmp / "warm_here", Job(args.method, scale=args.scale, threads=1))
        rows = [_row("one process, 1 thread", src, tmp / "one1", Job(args.method, scale=args.scale, threads=1)),
                _row("one process, threads not capped", src, tmp / "oneN", Job(args.method, scale=args.scale))]
        start = time.perf_counter()
        with dask_client(workers=args.workers) as client:
            _row("warm-up", warm_src, tmp / "warm_out", Job(args.method, scale=args.scale, threads=1), client)
            startup = time.perf_counter() - start
            rows.append(_row(f"--workers {args.workers} (warm)", src, tmp / "cluster",
                             Job(args.method, scale=args.scale, threads=1), client))
        identical = _same_outputs(rows[0]["out"], rows[-1]["out"])
    load1 = os.getloadavg()
    base = rows[0]["seconds"]
    lines = [f"# Batch throughput: {args.count} x {args.method} {args.scale}x ({args.split} x{args.scale} LR images)",
             "",
             f"Command: `python benchmarks/batch_throughput.py {' '.join(sys.argv[1:] if argv is None else argv)}`",
             f"Machine: {platform.machine()}, {os.cpu_count()} cores; load average before "
             f"{load0[0]:.2f}, after {load1[0]:.2f}. Cluster start-up + warm-up: {startup:.1f} s (not in its row).",
             "",
             "| run | seconds | items/s | speed-up vs one process, 1 thread |",
             "|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['name']} | {r['seconds']:.1f} | {r['done'] / r['seconds']:.2f} | "
                     f"{base / r['seconds']:.2f}x |")
    lines += ["", f"Cluster outputs byte-identical to the one-thread process: {'yes' if identical else 'NO'}."]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        atomic_write_text(args.out, text)
    return 0 if identical else 1


if __name__ == "__main__":
    sys.exit(main())
