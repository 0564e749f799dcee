"""Fit the noise rule of liif-blind's k-space data consistency (``mrisr.data.acquisition.CONSISTENCY_NOISE_*``).

A k-space rendering is pulled towards the input's own spectrum, ``sr + w * zerofill(lr - K(sr))``
(:func:`mrisr.data.resample.kspace_consistent`). Exact data (``w = 1``) is best for a noise-free
cut; with noise, ``w = 1`` puts the noise back. This script takes 20 IXI *train* images (every 25th
from the 6th, the 10 that ``liif-blind`` holds out left out), cuts each in k-space at 2x and 4x with
Rician noise 0, 0.002, 0.005, 0.01 and 0.02 (8-bit), renders it as ``liif-blind`` renders a k-space
cut before the consistency step (shifted to footprint centres, ``acquisition: resize``), and measures PSNR for ``w`` = 0, 0.1, ..., 1 against the noise read from the image
(:func:`mrisr.data.inspect.noise_level`; a noise-free cut reads about 0.004: its Gibbs ringing).
Then, for the rule ``w = clip(1 - slope * (noise - floor), 0, 1)``, it prints the mean and the
worst image's gain over ``w = 0`` per scale and noise level, for a few floors and slopes.

    python study/scripts/calibrate_kspace_consistency.py --data ../shared/data/ixi-t2-midslices
"""

from __future__ import annotations

import argparse

import numpy as np

from mrisr.data.datasets import holdout_names, list_images
from mrisr.data.degrade import lr_shape, parse_degradation
from mrisr.data.inspect import noise_level
from mrisr.data.io import read_image
from mrisr.data.resample import kspace_consistent, kspace_to_centres
from mrisr.methods import make_method
from mrisr.metrics import psnr

NOISES = (0.0, 0.002, 0.005, 0.01, 0.02)
WEIGHTS = np.linspace(0, 1, 11)


def measure(root: str) -> list[dict]:
    """One row per (scale, image, noise): the noise read, and PSNR at each of :data:`WEIGHTS`."""
    held = set(holdout_names(root, "train", 10))
    files = [f for f in list_images(f"{root}/train") if f.name not in held][5::25]
    rows = []
    for scale in (2, 4):
        method = make_method("liif-blind", scale=scale, params={"acquisition": "resize"})
        for i, path in enumerate(files):
            hr = read_image(path)
            for noise in NOISES:
                spec = "kspace" + (f"+rician:{noise}" if noise else "") + "+quant:8"
                lr = parse_degradation(spec)(hr, lr_shape(hr.shape, scale), seed=np.random.default_rng([5, i]))
                sr = method(kspace_to_centres(lr, hr.shape), hr.shape)  # the k-space rendering, before consistency
                rows.append({"scale": scale, "noise": noise, "read": noise_level(lr)[0],
                             "psnr": [psnr(np.clip(kspace_consistent(sr, lr, w), 0, 1), hr) for w in WEIGHTS]})
        print(f"{scale}x measured", flush=True)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True)
    args = ap.parse_args()
    rows = measure(args.data)
    for scale in (2, 4):
        for noise in NOISES:
            sel = [r for r in rows if r["scale"] == scale and r["noise"] == noise]
            p = np.mean([r["psnr"] for r in sel], axis=0)
            print(f"{scale}x noise {noise}: read {np.mean([r['read'] for r in sel]):.4f}, best w {WEIGHTS[p.argmax()]:.1f}"
                  f" ({p.max() - p[0]:+.2f} dB), w = 1 {p[-1] - p[0]:+.2f} dB")
    for floor in (0.004, 0.0045):
        for slope in (40, 50, 60, 70, 80):
            cells = []
            for scale in (2, 4):
                for noise in NOISES:
                    gains = [np.interp(np.clip(1 - slope * (r["read"] - floor), 0, 1), WEIGHTS, r["psnr"]) - r["psnr"][0]
                             for r in rows if r["scale"] == scale and r["noise"] == noise]
                    cells.append(f"{np.mean(gains):+.2f}/{np.min(gains):+.2f}")
            print(f"floor {floor} slope {slope}: " + " ".join(cells))


if __name__ == "__main__":
    main()
