"""How the shipped methods fare when the input is not at the training intensity level, with and without the guard.

Run from the repository root with the IXI data beside it:

    python study/experiments/intensity/run.py > study/experiments/intensity/results.txt

1. IXI val split: every LR image multiplied by a gain ``g`` before the method and the output divided by
   ``g`` after it, so a scale-equivariant method scores the same at every gain. ``g = 1/16`` is a 12-bit scan
   stored in a 16-bit PNG. Methods built by ``make_method`` with ``intensity: auto`` (the default) and
   ``intensity: off``.
2. A real volume: nilearn's MNI152 T1 template (not T2, not IXI's degradation), every 4th axial slice through
   the brain, each slice degraded in-plane (Gaussian sigma = scale / 2 HR pixels + area averaging, the demo's
   degradation), written as a float32 NIfTI and super-resolved with ``mrisr.upscale_volume``, which maps the
   whole volume to [0, 1] by its brightest voxel. PSNR per slice against the HR slice, peak = the volume's
   maximum, then the mean over slices. Then the same with one hot voxel (3 times the maximum, in an extra
   slice that is not scored) added to the LR volume: an outlier that darkens every slice after the mapping.
3. ``mrisr demo``'s input (the MNI152 mid slice, robustly normalised, so brighter than IXI's LR images):
   every shipped method, ``auto`` against ``off``.
4. Why the range spans all training images: with a narrower range (1st to 99th percentile over the
   training images) 12 IXI train images per scale fall outside it, and on those the guard is measured
   against no guard. (LIIF was trained on these images, ELRTV tuned on 12 others.)
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import nibabel as nib
import numpy as np

from mrisr import upscale_volume
from mrisr.data.datasets import list_images, lr_folder, open_split
from mrisr.data.degrade import degrade
from mrisr.data.io import read_image
from mrisr.data.resample import GaussianConfig, gaussian_image
from mrisr.demo import default_input, demo_slice
from mrisr.evaluation.runner import evaluate_images, evaluate_pairs
from mrisr.methods import make_method
from mrisr.methods.intensity import IntensityRange
from mrisr.metrics import psnr

DATA = Path("../shared/data/ixi-t2-midslices")
GAINS = (1.0, 0.75, 0.5, 0.25, 1 / 16)
METHODS = {2: ("bicubic", "elrtv", "liif-x2"), 4: ("bicubic", "elrtv", "liif-x4", "liif-offdomain-x4", "liif-x4-ens")}


class Gained:
    """``method(g * lr) / g``: the method seen through a change of intensity units."""

    def __init__(self, method, gain: float) -> None:
        self.method, self.gain = method, gain

    def __call__(self, lr, out_shape):
        return np.asarray(self.method(lr * self.gain, out_shape)) / self.gain


def val_table(scale: int) -> None:
    pairs = open_split(DATA, "val", scale)
    print(f"\n## IXI val, {scale}x ({len(pairs)} images): PSNR dB / SSIM (7x7) of method(g * LR) / g")
    print("\n| method | intensity | " + " | ".join(f"g = {g:g}" for g in GAINS) + " |")
    print("|---|---|" + "---|" * len(GAINS))
    for spec in METHODS[scale]:
        for mode in ("auto", "off"):
            m = make_method(spec, scale=scale, params={"intensity": mode})
            res = evaluate_pairs(pairs, {f"{g:g}": Gained(m, g) for g in GAINS}, scale, progress=False)
            s = res.summary()
            cells = " | ".join(f"{s[f'{g:g}']['psnr_mean']:.3f} / {s[f'{g:g}']['ssim_mean']:.4f}" for g in GAINS)
            print(f"| {spec} | {mode} | {cells} |", flush=True)


def mni_volume(step: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """(HR slices along axis 2, affine) of the MNI152 template, every ``step``-th slice with brain in it."""
    img = nib.as_closest_canonical(nib.load(default_input()))
    vol = np.asarray(img.dataobj, dtype=np.float64)
    vol = vol[: vol.shape[0] // 4 * 4, : vol.shape[1] // 4 * 4]
    brain = [k for k in range(vol.shape[2]) if vol[..., k].max() > 0.25 * vol.max()]
    return vol[..., brain[::step]], img.affine


def volume_table() -> None:
    hr, affine = mni_volume()
    peak = hr.max()
    print(f"\n## MNI152 T1 template, {hr.shape[2]} axial slices of {hr.shape[0]}x{hr.shape[1]}, "
          "through mrisr.upscale_volume: mean PSNR per slice (peak = volume maximum)")
    print("\n| scale | volume | method | intensity auto | intensity off | auto - off |")
    print("|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for scale in (2, 4):
            lr = np.stack([gaussian_image(hr[..., k], (hr.shape[0] // scale, hr.shape[1] // scale), GaussianConfig())
                           for k in range(hr.shape[2])], axis=-1).astype(np.float32)
            hot = np.concatenate([lr, np.zeros_like(lr[..., :1])], axis=-1)
            hot[lr.shape[0] // 2, lr.shape[1] // 2, -1] = 3 * lr.max()
            lr_aff = affine.copy()
            lr_aff[:3, :2] *= scale
            for label, vol in (("as is", lr), ("+ hot voxel", hot)):
                path = Path(tmp) / f"lr{scale}.nii.gz"
                nib.save(nib.Nifti1Image(vol, lr_aff), path)
                for spec in METHODS[scale][1:3]:
                    scores = {}
                    for mode in ("auto", "off"):
                        out = upscale_volume(nib.load(path), scale=scale, axis=2, method=spec,
                                             params={"intensity": mode}, dtype="float32", progress=False)
                        sr = np.asarray(out.dataobj, dtype=np.float64)
                        scores[mode] = np.mean([psnr(sr[..., k] / peak, hr[..., k] / peak)
                                                for k in range(hr.shape[2])])
                    print(f"| {scale}x | {label} | {spec} | {scores['auto']:.3f} | {scores['off']:.3f} | "
                          f"{scores['auto'] - scores['off']:+.3f} |", flush=True)


def demo_table() -> None:
    from mrisr.weights import ensembles, index

    hr = demo_slice(default_input())
    print("\n## `mrisr demo`'s MNI152 mid slice (256x256, Gaussian degradation, 8-bit LR): PSNR dB / SSIM (7x7)")
    print("\n| scale | method | intensity auto | intensity off |")
    print("|---|---|---|---|")
    shipped = [(m, s) for e in index() for m, s in zip(e.methods, e.scales, strict=True)]
    shipped += [(e.method, e.scale) for e in ensembles()]
    for scale in (2, 4):
        lr = degrade(hr, scale, kind="gaussian", quantise=True)
        names = ["elrtv"] + [m for m, s in shipped if s == scale]
        for spec in names:
            built = {mode: make_method(spec, scale=scale, params={"intensity": mode}) for mode in ("auto", "off")}
            s = evaluate_images([("mni", hr, lr)], built, total=1, progress=False).summary()
            cells = " | ".join(f"{s[m]['psnr_mean']:.3f} / {s[m]['ssim_mean']:.4f}" for m in ("auto", "off"))
            print(f"| {scale}x | {spec} | {cells} |", flush=True)


def narrow_range_table() -> None:
    print("\n## IXI train images outside a 1-99 % range (guard with that range minus no guard, PSNR dB)")
    print("\n| scale | range (lo, hi) | images | method | darker than lo | brighter than hi | mean |")
    print("|---|---|---|---|---|---|---|")
    for scale in (2, 4):
        files = list_images(lr_folder(DATA, "train", scale))
        lrs = [read_image(f) for f in files]
        ref = IntensityRange.measure(lrs, tail=1.0)
        gains = ref.gains(np.stack(lrs))
        picked = np.nonzero(gains != 1)[0]
        for spec in ("elrtv", f"liif-x{scale}"):
            narrow = make_method(spec, scale=scale, params={"intensity": ref.to_dict()})
            off = make_method(spec, scale=scale, params={"intensity": "off"})
            diff = []
            for i in picked:
                hr = read_image(DATA / "train" / files[i].name)
                diff.append(psnr(narrow(lrs[i], hr.shape), hr) - psnr(off(lrs[i], hr.shape), hr))
            diff, dark = np.array(diff), gains[picked] < 1
            print(f"| {scale}x | {ref.lo:.3f}, {ref.hi:.3f} | {len(picked)} | {spec} | "
                  f"{diff[dark].mean():+.3f} ({dark.sum()}) | {diff[~dark].mean():+.3f} ({(~dark).sum()}) | "
                  f"{diff.mean():+.3f} |", flush=True)


def main() -> None:
    print(f"# Intensity guard: `{' '.join(['python', *sys.argv])}`")
    for scale in (2, 4):
        val_table(scale)
    volume_table()
    demo_table()
    narrow_range_table()


if __name__ == "__main__":
    main()
