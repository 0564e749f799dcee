"""Peak memory of ``mrisr upscale`` against image size, two source trees side by side.

Each case runs ``python -m mrisr.cli.main upscale IN.png --scale S --method M -o OUT.png`` with
``PYTHONPATH`` set to a tree's ``src``, inside a fresh intermediate process that reports
``resource.getrusage(RUSAGE_CHILDREN).ru_maxrss`` (so each number is that one run's peak RSS).
A case is stopped after ``--limit`` seconds or above ``--cap-gib`` of RSS (the machine is
shared) and recorded as stopped. Inputs are an IXI-like image (the val HR slice if the data are
there, else a synthetic phantom) resized to each size, 8-bit PNG. Results are appended to a JSON
lines file as they finish (re-running skips cases already there) and rendered as a Markdown table::

    nice -n 19 python benchmarks/memory.py --before ../base/src --after src \\
        --sizes 256 512 1024 --out benchmarks/results/memory.md
    nice -n 19 python benchmarks/memory.py --before ../base/src --after src --sizes 2048 ...  # big cases last
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

#: method -> scale
METHODS = {"liif-x2": 2, "liif-x4": 4, "elrtv": 4, "bicubic": 4}
IXI = Path("/work/shared/data/ixi-t2-midslices/val")

CHILD = r"""
import os, resource, signal, subprocess, sys, time, json
cmd, env, limit, cap = json.loads(sys.argv[1])
t0 = time.perf_counter()
p = subprocess.Popen(cmd, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
status = None
while p.poll() is None:
    time.sleep(0.2)
    try:
        rss = int(next(l for l in open(f"/proc/{p.pid}/status") if l.startswith("VmRSS")).split()[1]) * 1024
    except (OSError, StopIteration):
        rss = 0
    if time.perf_counter() - t0 > limit or rss > cap:
        status = f"stopped after {time.perf_counter() - t0:.0f} s" + (" (RSS cap)" if rss > cap else "")
        p.kill()
err = p.communicate()[1].decode(errors="replace").strip().splitlines()
seconds = time.perf_counter() - t0
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
print(json.dumps({"rc": p.returncode, "seconds": seconds, "peak_bytes": peak, "status": status,
                  "error": err[-1] if err and p.returncode else ""}))
"""


def make_input(size: int, folder: Path) -> Path:
    """An 8-bit PNG of ``size`` x ``size``: the first IXI val slice (or a phantom) resized."""
    import numpy as np
    from PIL import Image

    from mrisr.data.resize import resize

    path = folder / f"in{size}.png"
    if path.exists():
        return path
    files = sorted(IXI.glob("*.png")) if IXI.is_dir() else []
    if files:
        img = np.asarray(Image.open(files[0]).convert("L"), dtype=np.float32) / 255
    else:
        y, x = np.mgrid[-1:1:256j, -1:1:256j]
        img = np.clip(0.8 * np.exp(-(x**2 + y**2) * 3) + 0.2 * (x**2 / 0.64 + y**2 / 0.81 <= 1), 0, 1)
    out = np.concatenate([resize(img[None, r : r + 64], (64 * size // 256, size), clip=True)[0]
                          for r in range(0, img.shape[0], 64)])  # row blocks: bounded memory at any size
    Image.fromarray((out * 255 + 0.5).astype(np.uint8)).save(path)
    return path


def run_case(tree: str, method: str, size: int, folder: Path, limit: float, cap: float) -> dict:
    scale = METHODS[method]
    cmd = [sys.executable, "-m", "mrisr.cli.main", "upscale", str(make_input(size, folder)), "--scale", str(scale),
           "--method", method, "-o", str(folder / f"out-{method}-{size}.png")]
    env = {"PYTHONPATH": str(Path(tree).resolve())}
    out = subprocess.run([sys.executable, "-c", CHILD, json.dumps([cmd, env, limit, cap])],
                         capture_output=True, text=True, check=True)
    (folder / f"out-{method}-{size}.png").unlink(missing_ok=True)
    return {"method": method, "size": size, "scale": scale, **json.loads(out.stdout)}


def _cell(r: dict | None) -> str:
    if r is None:
        return "not run"
    gib = r["peak_bytes"] / 2**30
    if r["status"]:
        return f"{r['status']}, peak {gib:.2f} GiB"
    if r["rc"]:
        return f"failed (exit {r['rc']}{': ' + r['error'][:80] if r['error'] else ''}), peak {gib:.2f} GiB"
    return f"{gib:.2f} GiB, {r['seconds']:.0f} s"


def render(records: list[dict], command: str) -> str:
    lines = [
        "# Peak memory of `mrisr upscale` against image size", "",
        "Peak RSS (`getrusage(RUSAGE_CHILDREN).ru_maxrss` of a fresh process per case) and wall time; "
        "before = main at the branch point, after = this branch; the float32 output itself is "
        "4 bytes per output pixel (8192² = 0.25 GiB). The machine was shared (2 cores, other jobs "
        "running), so times are only indicative. Command(s):", "",
        *[f"    {c}" for c in command.splitlines()], "",
        "| method | input | output | before | after |", "|---|---|---|---|---|",
    ]
    keys = sorted({(r["method"], r["size"]) for r in records}, key=lambda k: (list(METHODS).index(k[0]), k[1]))
    for m, s in keys:
        pick = {r["tree"]: r for r in records if r["method"] == m and r["size"] == s}
        o = s * METHODS[m]
        lines.append(f"| {m} | {s}² | {o}² | {_cell(pick.get('before'))} | {_cell(pick.get('after'))} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--before", help="src folder of the tree to compare against (e.g. a worktree of main)")
    ap.add_argument("--after", default="src", help="src folder of this tree")
    ap.add_argument("--sizes", type=int, nargs="+", default=[256, 512, 1024, 2048])
    ap.add_argument("--methods", nargs="+", default=list(METHODS), choices=list(METHODS))
    ap.add_argument("--trees", nargs="+", default=["before", "after"], choices=["before", "after"],
                    help="which trees to run (both by default)")
    ap.add_argument("--limit", type=float, default=600, help="seconds per case before it is stopped")
    ap.add_argument("--cap-gib", type=float, default=8, help="stop a case above this RSS (shared machine)")
    ap.add_argument("--records", default="benchmarks/results/memory.jsonl")
    ap.add_argument("--out", default="benchmarks/results/memory.md")
    ap.add_argument("--work", default=None, help="folder for inputs and outputs (default: a temporary one)")
    args = ap.parse_args()
    folder = Path(args.work or tempfile.mkdtemp(prefix="mrisr-mem-"))
    folder.mkdir(parents=True, exist_ok=True)
    records_path = Path(args.records)
    records = [json.loads(x) for x in records_path.read_text().splitlines()] if records_path.exists() else []
    trees = [(k, v) for k, v in (("before", args.before), ("after", args.after)) if v and k in args.trees]
    for size in args.sizes:
        for method in args.methods:
            for label, tree in trees:
                if any(r["tree"] == label and r["method"] == method and r["size"] == size for r in records):
                    continue
                print(f"{time.strftime('%H:%M:%S')} {label} {method} {size}", file=sys.stderr, flush=True)
                r = {"tree": label, **run_case(tree, method, size, folder, args.limit, args.cap_gib * 2**30)}
                records.append(r)
                with records_path.open("a") as fh:
                    fh.write(json.dumps(r) + "\n")
                print(f"    {_cell(r)}", file=sys.stderr, flush=True)
    niceness = os.nice(0)
    command = " ".join([*([f"nice -n {niceness}"] if niceness else []), "python", *sys.argv])
    notes = Path(args.out).with_suffix(".commands")
    cmds = notes.read_text().splitlines() if notes.exists() else []
    notes.write_text("\n".join([*[c for c in cmds if c != command], command]) + "\n")
    Path(args.out).write_text(render(records, notes.read_text().strip()))
    print(Path(args.out).read_text())


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
