"""Is ``liif-blind`` behind ELRTV on smooth, noise-free images of another contrast, as on the demo's T1 slice?

The demo's T1 slice (the MNI152 template, an average of many brains: smooth and noise-free) is the one image
where ``elrtv`` beats ``liif-blind`` (docs/blind.md); it must not be used to choose anything. This builds a
stand-in from IXI alone: each of the 16 images of ``mrisr families --holdout 10`` is smoothed by a Gaussian of
``--smooth`` HR pixels (a template-like, averaged look; 0 keeps it) and, for the ``remapped`` rows, given a
random non-monotone intensity remap (``remap:nonmonotone``, seeded per image; tissues swap brightness), and
the result is the HR target. Each family then makes the LR image. Reports mean PSNR per method and the gap of
``liif-blind`` to the best classical method.

    python study/scripts/smooth_contrast_probe.py --data ../shared/data/ixi-t2-midslices --smooth 1
"""

from __future__ import annotations

import argparse

import numpy as np
from scipy.ndimage import gaussian_filter

from mrisr.data.degrade import apply_same_grid, lr_shape, parse_degradation, parse_same_grid
from mrisr.data.io import read_image
from mrisr.methods import make_method
from mrisr.metrics import psnr
from mrisr.report.families import family_images

FAMILIES = {"study": "gaussian:1+quant:8,floor", "demo-like Gaussian": "gaussian+quant:8",
            "bicubic": "bicubic+quant:8", "k-space": "kspace+quant:8"}
METHODS = ("bicubic", "zerofill", "elrtv", "liif-blind")


def targets(root: str, holdout: int, smooth: float) -> dict[str, list[np.ndarray]]:
    hrs = [read_image(p.hr_path).astype(np.float64) for p in family_images(root, "val", holdout)]
    if smooth > 0:
        hrs = [np.clip(gaussian_filter(h, smooth), 0, 1) for h in hrs]
    remap = parse_same_grid("remap:nonmonotone")
    return {"T2": hrs, "remapped": [np.clip(apply_same_grid(h, remap, np.random.default_rng(100 + i)), 0, 1)
                                    for i, h in enumerate(hrs)]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True)
    ap.add_argument("--holdout", type=int, default=10)
    ap.add_argument("--smooth", type=float, default=1.0, help="Gaussian sigma (HR px) applied to each HR image")
    ap.add_argument("--scales", default="2,4")
    ap.add_argument("--families", default=",".join(FAMILIES), help="names among " + ", ".join(FAMILIES))
    ap.add_argument("--methods", default=",".join(METHODS), help="bicubic and liif-blind always run")
    ap.add_argument("--limit", type=int, default=0, help="the first LIMIT images only (0: all)")
    args = ap.parse_args()
    names = list(dict.fromkeys(["bicubic", *args.methods.split(","), "liif-blind"]))
    sets = {k: v[:args.limit or None] for k, v in targets(args.data, args.holdout, args.smooth).items()}
    print(f"{len(sets['T2'])} images smoothed by sigma {args.smooth:g} HR px\n")
    classical = [m for m in names if m != "liif-blind"]
    head = ["scale", "HR", "LR made by", *names, "blind - best classical", "worst vs bicubic"]
    print("| " + " | ".join(head) + " |\n|" + "---|" * len(head))
    for s in (float(v) for v in args.scales.split(",")):
        methods = {m: make_method(m, scale=s) for m in names}
        for name, hrs in sets.items():
            for fam in args.families.split(","):
                res = {m: [] for m in names}
                for i, hr in enumerate(hrs):
                    lr = parse_degradation(FAMILIES[fam])(hr, lr_shape(hr.shape, s), seed=np.random.default_rng(i))
                    for m, f in methods.items():
                        res[m].append(psnr(np.clip(f(lr, hr.shape), 0, 1), hr))
                mean = {m: np.mean(v) for m, v in res.items()}
                best = max(mean[m] for m in classical)
                worst = min(np.subtract(res["liif-blind"], res["bicubic"]))
                print(f"| {s:g} | {name} | {fam} | " + " | ".join(f"{mean[m]:.2f}" for m in names)
                      + f" | {mean['liif-blind'] - best:+.2f} | {worst:+.2f} |", flush=True)


if __name__ == "__main__":
    main()
