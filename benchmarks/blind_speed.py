"""liif-blind against liif-x2 / liif-x4: inference time on the same images, side by side in one run.

For each scale, degrades the HR images of a split three ways (the study's Gaussian pipeline, which
liif-blind's ``acquisition: auto`` hands to the specialist when it reads it as such; a bicubic resize; a
k-space truncation, rendered shifted) and times each method (liif-blind's reading of the input included; it
renders each image once) on each LR image (one warm-up call first, then the median of ``--repeats`` calls per image), on one
thread unless ``--threads`` says otherwise. Target (issue 25): liif-blind at most 1.2x liif-x2's time.

    python benchmarks/blind_speed.py --data ../shared/data/ixi-t2-midslices --split val --out benchmarks/results/blind_speed
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time

import numpy as np
import torch

from mrisr._atomic import atomic_write_text
from mrisr.data.acquisition import read_acquisition
from mrisr.data.datasets import synthetic_pairs
from mrisr.data.degrade import lr_shape, parse_degradation
from mrisr.data.io import read_image
from mrisr.methods import make_method

SPECS = {"gaussian (study)": "gaussian:1+quant:8,floor", "bicubic": "bicubic+quant:8", "k-space": "kspace+quant:8"}


def _time(method, lr: np.ndarray, shape: tuple[int, int], repeats: int) -> float:
    method(lr, shape)  # warm-up
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        method(lr, shape)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True)
    ap.add_argument("--split", default="val")
    ap.add_argument("--count", type=int, default=6, help="images (default 6)")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--out", help="write OUT.md")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    hrs = [read_image(p.hr_path) for p in synthetic_pairs(f"{args.data}/{args.split}")[: args.count]]
    lines = [f"# liif-blind vs the per-scale models: seconds per image ({args.split}, {len(hrs)} images, "
             f"median of {args.repeats} after a warm-up, {args.threads} thread(s), {platform.machine()} CPU, "
             f"torch {torch.__version__})", "",
             "| scale | LR made by | reference | s/image | liif-blind s/image | ratio | mean P(k-space) | mean P(study) |",
             "|---|---|---|---|---|---|---|---|"]
    for scale, ref in ((2, "liif-x2"), (4, "liif-x4")):
        methods = {ref: make_method(ref, scale=scale), "liif-blind": make_method("liif-blind", scale=scale)}
        for label, spec in SPECS.items():
            pipe = parse_degradation(spec)
            lrs = [pipe(h, lr_shape(h.shape, scale), seed=i) for i, h in enumerate(hrs)]
            t = {name: np.mean([_time(m, lr, h.shape, args.repeats) for lr, h in zip(lrs, hrs, strict=True)])
                 for name, m in methods.items()}
            readings = [read_acquisition(lr, scale) for lr in lrs]
            pk, ps = np.mean([r.kspace for r in readings]), np.mean([r.study for r in readings])
            lines.append(f"| {scale} | {label} | `{ref}` | {t[ref]:.3f} | {t['liif-blind']:.3f} | "
                         f"{t['liif-blind'] / t[ref]:.2f} | {pk:.2f} | {ps:.2f} |")
            print(lines[-1], flush=True)
    text = "\n".join(lines) + "\n\nCommand: `python benchmarks/blind_speed.py " + " ".join(
        f"--{k} {v}" for k, v in vars(args).items() if v is not None and k != "out") + "`\n"
    if args.out:
        atomic_write_text(f"{args.out}.md", text)
    print(text)


if __name__ == "__main__":
    main()
