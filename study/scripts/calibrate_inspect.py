"""Calibrate mrisr.data.inspect on IXI train, then report its confusion table on val.

    python study/scripts/calibrate_inspect.py DATA_ROOT [--step 1]

Train: every ``--step``-th HR image of DATA_ROOT/train, degraded by each family
(with and without Rician noise, 8-bit; Gaussian also at sigma 1 HR px, IXI's own
pipeline at 4x: its stored x4 images are exactly ``gaussian:sigma=1+quant:8,floor``) at 2x and 4x -> the means and pooled
covariance printed as CALIBRATION (paste into src/mrisr/data/inspect.py).
Val: every HR image of DATA_ROOT/val degraded by each family, classified with
the calibration just fitted; prints a Markdown confusion table per scale (the last
column: inputs that ``mrisr upscale --method liif-xS`` warns about, with the
calibration stored in mrisr.data.inspect, the same numbers once pasted), then the
warnings on the stored IXI LR images (train and val, x2 and x4).
"""

from __future__ import annotations

import argparse
import pprint
from pathlib import Path

from mrisr.data import degrade, read_image
from mrisr.data.inspect import FAMILIES, calibrate, estimate_degradation
from mrisr.methods.inputcheck import input_mismatch

TRAIN = {"gaussian": ["gaussian+quant:8,floor", "gaussian+rician:0.02+quant:8"],
         "gaussian:sigma=1": ["gaussian:sigma=1+quant:8,floor", "gaussian:sigma=1+rician:0.02+quant:8"],
         "bicubic": ["bicubic+quant:8", "bicubic+rician:0.02+quant:8"],
         "area": ["area+quant:8", "area+rician:0.02+quant:8"],
         "kspace": ["kspace+quant:8", "kspace+rician:0.02+quant:8"]}
VAL = {"gaussian:sigma=1+quant:8,floor": "gaussian", "gaussian+quant:8,floor": "gaussian",
       "gaussian+rician:0.02+quant:8": "gaussian", "gaussian:sigma=1+rician:0.01+quant:8": "gaussian",
       "gaussian:sigma=1+rician:0.03+quant:8": "gaussian",
       "bicubic+quant:8": "bicubic", "area+quant:8": "area", "kspace+quant:8": "kspace",
       "kspace+rician:0.02+quant:8": "kspace", "kspace:window=hann+quant:8": "kspace"}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("root", type=Path)
    p.add_argument("--step", type=int, default=1)
    p.add_argument("--seeds", type=int, default=5, help="val: degradations per image (noise seeds)")
    a = p.parse_args()
    train = sorted((a.root / "train").glob("*.png"))[:: a.step]
    val = sorted((a.root / "val").glob("*.png"))
    hrs = [read_image(f) for f in train]
    cal = {}
    for s in (2.0, 4.0):
        cal[s] = calibrate((label, degrade(hr, s, kind=spec, seed=i))
                           for i, hr in enumerate(hrs) for label, specs in TRAIN.items() for spec in specs)
    print(f"# {len(train)} train images")
    pprint.pprint(cal, width=118)
    vhr = [read_image(f) for f in val]
    for s in (2.0, 4.0):
        print(f"\n{s:g}x, {len(val)} val images x {a.seeds} seeds: rows = how the LR was made, columns = estimate")
        print("| `--degrade` | " + " | ".join(FAMILIES) + f" | correct | warned (liif-x{s:g}) |\n|---|"
              + "---|" * (len(FAMILIES) + 2))
        for spec, truth in VAL.items():
            lrs = [degrade(hr, s, kind=spec, seed=[k, i]) for i, hr in enumerate(vhr) for k in range(a.seeds)]
            ests = [estimate_degradation(lr, s, calibration=cal) for lr in lrs]
            warned = sum(input_mismatch(lr, f"liif-x{s:g}", scale=s) is not None for lr in lrs)
            got = [e.family for e in ests]
            counts = [got.count(f) for f in FAMILIES]
            print(f"| `{spec}` | " + " | ".join(map(str, counts)) + f" | {got.count(truth)}/{len(got)} | {warned} |")
    for split in ("train", "val"):
        for s in (2, 4):
            files = sorted((a.root / f"{split} x{s}").glob("*.png"))
            warned = sum(input_mismatch(read_image(f), m, scale=s) is not None
                         for f in files for m in (f"liif-x{s}", "elrtv"))
            print(f"stored {split} x{s}: {len(files)} images, {warned} warnings (liif-x{s}, elrtv)")


if __name__ == "__main__":
    main()
