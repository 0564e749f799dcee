"""How much of a model's accuracy is tied to the stored pairs' sampling grid.

Degrades each HR image with an explicit operator after shifting it by (dy, dx) HR pixels, 0 <= dy, dx < s,
super-resolves the synthetic LR image with each method and reports PSNR at the stored pairs' phase (0, 0)
against the mean over the other s*s - 1 phases. On images a model was trained on, a drop away from phase 0
means it learned those LR pixels rather than the degradation; on unseen images the phases should score alike.

    python study/scripts/phase_gap.py --data ../shared/data/ixi-t2-midslices --split train --first 400 --count 50 \
        --config study/configs/cpu_ft4_x4_synth.yaml --method liif-x4,liif:runs/x/last.pt --out phase_gap.csv
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

import numpy as np


def shifted_pair(hr: np.ndarray, s: int, dy: int, dx: int, operator: dict, how: str):
    """(LR, HR) for ``hr`` (one image or a stack) shifted by (dy, dx): HR cropped to a multiple of ``s``,
    LR = quantise(D(HR)) with one operator built for the cropped shape."""
    from mrisr.classical.operators import make_operator
    from mrisr.train.data import quantise, shifted

    h = shifted(hr, s, dy, dx)
    op = make_operator(operator, h.shape[-2:], (h.shape[-2] // s, h.shape[-1] // s))
    return quantise(op.forward(h), how), h


def phase_table(methods: dict, hrs: np.ndarray, s: int, operator: dict, how: str) -> dict[str, np.ndarray]:
    """method label -> (n_images, s, s) PSNR array; each phase's LR stack is made once for all methods."""
    from mrisr.metrics import psnr

    out = {label: np.empty((len(hrs), s, s)) for label in methods}
    for dy in range(s):
        for dx in range(s):
            lr, hr = shifted_pair(hrs, s, dy, dx, operator, how)
            for label, method in methods.items():
                sr = method(lr, hr.shape[-2:])
                out[label][:, dy, dx] = [psnr(np.clip(a, 0, 1), b) for a, b in zip(sr, hr, strict=True)]
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True)
    ap.add_argument("--split", default="train")
    ap.add_argument("--first", type=int, default=0, help="first image (sorted by name)")
    ap.add_argument("--count", type=int, default=50)
    ap.add_argument("--config", required=True, help="training config whose data.operator / data.quantise to use")
    ap.add_argument("--method", required=True, help="comma-separated method specs")
    ap.add_argument("--out", help="CSV of per-image, per-phase PSNR")
    args = ap.parse_args(argv)

    from mrisr.config import load_yaml
    from mrisr.methods import make_method
    from mrisr.train.config import parse_train_config
    from mrisr.train.data import load_stack

    cfg = parse_train_config(load_yaml(args.config)).data
    if not cfg.operator:
        sys.exit(f"{args.config}: no data.operator")
    s = cfg.pairs[0][0]
    names, hrs = load_stack(args.data, args.split, 1)
    names, hrs = names[args.first : args.first + args.count], hrs[args.first : args.first + args.count]
    methods = {m: make_method(m, scale=float(s)) for m in args.method.split(",")}
    tables = phase_table(methods, hrs, s, cfg.operator, cfg.quantise)
    print(f"{args.split} images {args.first}..{args.first + len(names) - 1}, x{s}, PSNR (dB)")
    print(f"{'method':60s} {'phase 0':>8s} {'others':>8s} {'gap':>7s}")
    for label, t in tables.items():
        p0 = t[:, 0, 0].mean()
        rest = (t.reshape(len(t), -1)[:, 1:]).mean()
        print(f"{label:60s} {p0:8.3f} {rest:8.3f} {p0 - rest:7.3f}")
    if args.out:
        tmp = Path(args.out).with_suffix(".part")
        with open(tmp, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["method", "image", "dy", "dx", "psnr"])
            for label, t in tables.items():
                for i, name in enumerate(names):
                    for dy in range(s):
                        for dx in range(s):
                            w.writerow([label, name, dy, dx, f"{t[i, dy, dx]:.4f}"])
        tmp.replace(args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
