"""The acquisition reader on skull-stripped-looking slices: IXI held-out images cut to a hard-edged brain mask.

A skull-stripped image (BET, SynthStrip, HD-BET output) is zero outside the brain with a hard edge, unlike the
IXI slices the reader was trained on, whose head fades into a noisy or masked background. The test suite's
phantoms (hard-edged ellipses on zero, ``reader_phantom_probe.py``) read bicubic resizes as k-space cuts; this
asks whether real anatomy with such an edge does the same. The mask is crude and fixed: the head above 15 %
of the maximum, holes filled, eroded by ``--erode`` pixels (which takes off the scalp and skull of a 256 x 256
IXI slice), largest component. Images: the 16 of ``mrisr families --holdout 10`` (val + the 10 held-out train
images). Reports the mean and largest P(k-space), and ``liif-blind``'s mean PSNR and worst image against bicubic.

    python study/scripts/reader_masked_probe.py --data ../shared/data/ixi-t2-midslices
"""

from __future__ import annotations

import argparse

import numpy as np
from train_acquisition_reader import brain_mask  # the same mask as the reader's --masked-share

from mrisr.data import degrade
from mrisr.data.acquisition import read_acquisition
from mrisr.data.io import read_image
from mrisr.methods import make_method
from mrisr.metrics import psnr
from mrisr.report.families import family_images

KINDS = ("bicubic+quant:8", "lanczos+quant:8", "area+quant:8", "kspace+quant:8", "gaussian:1+quant:8,floor")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True)
    ap.add_argument("--holdout", type=int, default=10)
    ap.add_argument("--erode", type=int, default=12)
    ap.add_argument("--no-sr", action="store_true", help="readings only (no liif-blind / bicubic scores)")
    args = ap.parse_args()
    hrs = []
    for p in family_images(args.data, "val", args.holdout):
        hr = read_image(p.hr_path).astype(np.float64)
        hrs.append(np.where(brain_mask(hr, args.erode), hr, 0.0))
    print(f"{len(hrs)} images, brain mask eroded by {args.erode} px; mean share inside the mask "
          f"{np.mean([(h > 0).mean() for h in hrs]):.2f}\n")
    print("| scale | LR made by | mean P(k-space) | max | `bicubic` | `liif-blind` | worst vs bicubic |")
    print("|---|---|---|---|---|---|---|")
    for s in (2, 4):
        methods = {} if args.no_sr else {k: make_method(k, scale=s) for k in ("bicubic", "liif-blind")}
        for kind in KINDS:
            lrs = [degrade(h, s, kind=kind, seed=i) for i, h in enumerate(hrs)]
            pk = np.array([read_acquisition(lr, s).kspace for lr in lrs])
            cells = ["", "", ""]
            if methods:
                res = {k: [psnr(np.clip(m(lr, h.shape), 0, 1), h) for lr, h in zip(lrs, hrs, strict=True)]
                       for k, m in methods.items()}
                worst = min(np.subtract(res["liif-blind"], res["bicubic"]))
                cells = [f"{np.mean(res['bicubic']):.2f}", f"{np.mean(res['liif-blind']):.2f}", f"{worst:+.2f}"]
            print(f"| {s} | `{kind}` | {pk.mean():.2f} | {pk.max():.2f} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
