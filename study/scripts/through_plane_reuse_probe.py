"""Reusing a fitted through-plane model on another volume of the same protocol: time and PSNR.

Volume A is nilearn's MNI152 T1 template (``mrisr demo``'s input), scaled to [0, 1]; volume B stands in for
another subject: A warped by a smooth random displacement field (up to about 4 mm), with a smooth multiplicative
bias field (+-10 %) and a gamma of 0.9. Both are thickened along axis 2 with a box profile, as in
``benchmarks/through_plane_speed.py``. ``liif-selfsup`` is fitted on A and saved (``save_model``); B is then
rendered (1) with its own fit (the default), (2) with A's saved model and no fine-tuning
(``params={'base': 'liif:A', 'steps': 0}``, ``mrisr upscale --reuse-model``) and (3) with the shipped base
``liif-slices`` and no fine-tuning. Times are wall seconds of ``upscale_through_plane`` (2 torch threads); PSNR
over the volume and inside the head (the HR head mask, dilated by 2 voxels) against B's 1 mm truth.

    python study/scripts/through_plane_reuse_probe.py --out study/experiments/through_plane/reuse.md
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import nibabel as nib
import numpy as np
import torch
from scipy.ndimage import binary_dilation, gaussian_filter, map_coordinates

from mrisr import upscale_through_plane
from mrisr.classical.operators import profile_matrix
from mrisr.demo import default_input
from mrisr.volume.selfsup import STEPS_PER_FACTOR


def second_subject(hr: np.ndarray, seed: int = 0) -> np.ndarray:
    """``hr`` warped by a smooth random field, with a smooth bias field and gamma 0.9 (another 'subject')."""
    rng = np.random.default_rng(seed)
    grid = np.meshgrid(*[np.arange(n, dtype=np.float64) for n in hr.shape], indexing="ij")
    coords = []
    for g in grid:
        field = gaussian_filter(rng.standard_normal(hr.shape), 12)
        coords.append(g + field * (4.0 / np.abs(field).max()))
    warped = np.clip(map_coordinates(hr, coords, order=3, mode="constant"), 0, 1)
    bias = gaussian_filter(rng.standard_normal(hr.shape), 30)
    return np.clip(warped * (1 + 0.1 * bias / np.abs(bias).max()), 0, 1) ** 0.9


def thick(hr: np.ndarray, factor: int) -> tuple[np.ndarray, nib.Nifti1Image]:
    n_lr = hr.shape[2] // factor
    hr = hr[:, :, :n_lr * factor]
    lr = np.einsum("ijk,lk->ijl", hr, profile_matrix(n_lr * factor, n_lr, profile="box", thickness=1.0))
    return hr, nib.Nifti1Image(lr.astype(np.float32), np.diag([1.0, 1.0, float(factor), 1.0]))


def scores(out: nib.Nifti1Image, hr: np.ndarray) -> tuple[float, float]:
    sr = np.clip(np.asarray(out.dataobj, dtype=np.float64), 0, 1)
    head = binary_dilation(hr > 0.01, iterations=2)
    return (float(10 * np.log10(1 / np.mean((sr - hr) ** 2))),
            float(10 * np.log10(1 / np.mean((sr[head] - hr[head]) ** 2))))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--factors", default="2,4")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    a = np.asarray(nib.load(default_input()).dataobj, dtype=np.float64)
    a /= a.max()
    b = second_subject(a)
    rows = ["| slices | volume B rendered with | fine-tuning steps | seconds | PSNR | PSNR head |", "|---|---|---|---|---|---|"]
    with tempfile.TemporaryDirectory() as tmp:
        for factor in (int(f) for f in args.factors.split(",")):
            _, img_a = thick(a, factor)
            hr_b, img_b = thick(b, factor)
            saved = Path(tmp) / f"a_x{factor}.safetensors"
            upscale_through_plane(img_a, factor=factor, progress=False, save_model=saved)
            for label, params in (("its own fit (default)", None),
                                  ("A's saved model (--reuse-model)", {"base": f"liif:{saved}", "steps": 0}),
                                  ("the shipped base `liif-slices`", {"steps": 0})):
                t = time.perf_counter()
                out = upscale_through_plane(img_b, factor=factor, params=params, progress=False)
                sec = time.perf_counter() - t
                steps = f"up to {round(STEPS_PER_FACTOR * factor)}" if params is None else "0"
                p, ph = scores(out, hr_b)
                rows.append(f"| {factor} mm box | {label} | {steps} | {sec:.1f} | {p:.2f} | {ph:.2f} |")
                print(rows[-1], flush=True)
    text = (f"# Reusing a fitted through-plane model (`python study/scripts/through_plane_reuse_probe.py`, "
            f"{args.threads} threads)\n\n" + "\n".join(rows) + "\n")
    Path(args.out).write_text(text)
    print(text)


if __name__ == "__main__":
    main()
