"""How the acquisition reader renders the smooth stand-in's inputs: a count of each rendering per row.

The rows of ``smooth_contrast_probe.py`` (its 16 images smoothed by sigma 0, 0.6 and 1 HR px, as they are and
remapped; four families; 2x and 4x), read only (about a millisecond an image, no SR): how many of the 16 are
rendered as resized, as a k-space cut or as the study's pipeline (:meth:`mrisr.data.acquisition.Reading.rendering`).
A candidate reader goes through ``with_reader.py``:

    python study/scripts/smooth_readings.py --data ../shared/data/ixi-t2-midslices
    python study/scripts/with_reader.py CANDIDATE.safetensors study/scripts/smooth_readings.py --data ...
"""

from __future__ import annotations

import argparse

import numpy as np
from smooth_contrast_probe import FAMILIES, targets

from mrisr.data.acquisition import read_acquisition
from mrisr.data.degrade import lr_shape, parse_degradation

RENDERINGS = ("resize", "kspace", "study")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True)
    ap.add_argument("--holdout", type=int, default=10)
    ap.add_argument("--smooth", default="0,0.6,1", help="comma-separated sigmas (HR px)")
    args = ap.parse_args()
    print("| sigma | scale | HR | LR made by | " + " | ".join(RENDERINGS) + " |\n|" + "---|" * (4 + len(RENDERINGS)))
    for sigma in (float(v) for v in args.smooth.split(",")):
        sets = targets(args.data, args.holdout, sigma)
        for s in (2.0, 4.0):
            for name, hrs in sets.items():
                for fam, spec in FAMILIES.items():
                    made = parse_degradation(spec)
                    ren = [read_acquisition(made(hr, lr_shape(hr.shape, s), seed=np.random.default_rng(i)), s)
                           .rendering() for i, hr in enumerate(hrs)]
                    print(f"| {sigma:g} | {s:g} | {name} | {fam} | " + " | ".join(str(ren.count(r)) for r in RENDERINGS)
                          + " |")


if __name__ == "__main__":
    main()
