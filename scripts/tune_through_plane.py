"""Tune ELRTV for through-plane SR (the ``slice_profile`` operator) on IXI training slices, write a preset.

The shipped ELRTV presets were tuned on IXI's in-plane pairs. Through-plane SR (``mrisr.upscale_through_plane``)
solves a different problem: one axis of each plane is sharp, the other averaged over thick slices. Here the
tuning images are IXI train HR slices (T2; the same 12 images by name as the in-plane presets) thickened along
one axis by a contiguous box profile (``profile_matrix``), alternately along columns and rows, in float (a
volume is not stored as 8-bit LR images). The study starts from the in-plane preset of the nearest scale; the
result is checked on the val split and on train images 400..449, degraded the same way, and written with its
provenance as a preset YAML that ``upscale_through_plane`` uses for ELRTV:

    python scripts/tune_through_plane.py --data ../shared/data/ixi-t2-midslices --factor 2 --trials 40 \\
        --out src/mrisr/classical/presets/elrtv_slices_x2.yaml
    python scripts/tune_through_plane.py --data ../shared/data/ixi-t2-midslices --factor 4 --trials 40 \\
        --out src/mrisr/classical/presets/elrtv_slices_x4.yaml

The test split is never read. The MNI152 volume of ``experiments/through_plane/`` is not used here either, so
that experiment stays a held-out check.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

import numpy as np

from mrisr._atomic import atomic_write_text
from mrisr.classical.method import preset_path, read_preset
from mrisr.classical.operators import profile_matrix
from mrisr.classical.tune import TuneData, measure, preset_yaml, tune
from mrisr.data.datasets import list_images
from mrisr.data.io import read_image

OPERATOR = {"kind": "slice_profile", "profile": "box", "thickness": 1.0, "bias": 0.0}


def thicken(hr: np.ndarray, factor: int, axis: int) -> np.ndarray:
    """``hr`` averaged over contiguous boxes of ``factor`` pixels along ``axis`` (0 rows, 1 columns)."""
    m = profile_matrix(hr.shape[axis], hr.shape[axis] // factor)
    return (m @ hr if axis == 0 else hr @ m.T).astype(np.float32)


def load(root: Path, split: str, factor: int, start: int, count: int) -> TuneData:
    """HR images ``start .. start+count`` of ``root/split`` (by name) and their thick-slice versions."""
    paths = list_images(root / split)[start:start + count]
    if not paths:
        raise SystemExit(f"{root / split}: no images in {start}..{start + count - 1}")
    hr = [read_image(p).astype(np.float64) for p in paths]
    lr = [thicken(h, factor, axis=(k + 1) % 2) for k, h in enumerate(hr)]  # columns, rows, columns, ...
    return TuneData([p.name for p in paths], hr, lr)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", required=True, type=Path, help="study-layout root (train, val)")
    ap.add_argument("--factor", type=int, required=True, choices=(2, 4))
    ap.add_argument("--trials", type=int, default=40)
    ap.add_argument("--images", type=int, default=12)
    ap.add_argument("--max-seconds", type=float, default=1.5, help="prune trials slower than this per image")
    ap.add_argument("--storage", help="Optuna storage URL (resumes), e.g. sqlite:////tmp/tp.db")
    ap.add_argument("--out", required=True, type=Path)
    args = ap.parse_args(argv)

    data = load(args.data, "train", args.factor, 0, args.images)
    start = read_preset(preset_path(args.factor))
    fixed = {"zero_background": True, "steps": 1}
    params, meta = tune(data, args.factor, trials=args.trials, storage=args.storage, seed=0, rank_mode="patch",
                        max_seconds=args.max_seconds, first=start, fixed=fixed, operator=OPERATOR,
                        study_name=f"elrtv-slices-x{args.factor}")
    inplane = {**start, **fixed, "operator": OPERATOR}
    lines = [
        f"ELRTV preset for through-plane SR at {args.factor}x (mrisr.upscale_through_plane): the slice_profile operator",
        "(contiguous box; upscale_through_plane replaces it with the profile and thickness it is given).",
        f"command: python {' '.join(shlex.quote(a) for a in [sys.argv[0], *(argv or sys.argv[1:])])}",
        f"tuned on train images 0..{args.images - 1} by name ({data.names[0]} .. {data.names[-1]}), thickened "
        "alternately along columns and rows, float",
        f"study {meta['study']}: {meta['trials']} trials, best #{meta['best_trial']}: PSNR {meta['psnr']:.3f} dB, "
        f"SSIM(7x7) {meta['ssim']:.4f}, {meta['seconds']:.3f} s/image",
        "checks (same degradation; bicubic = cubic interpolation along the thick axis; 'in-plane preset' = the",
        f"shipped elrtv_x{args.factor}.yaml with this operator):",
    ]
    for label, split, s0, n in (("val", "val", 0, 6), ("train 400..449", "train", 400, 50)):
        check = load(args.data, split, args.factor, s0, n)
        tuned, old = measure(check, params), measure(check, inplane)
        lines.append(f"  {label} ({len(check.hr)}): bicubic {tuned['bicubic_psnr']:.3f} dB / "
                     f"{tuned['bicubic_ssim']:.4f}; in-plane preset {old['psnr']:.3f} / {old['ssim']:.4f}; "
                     f"this preset {tuned['psnr']:.3f} / {tuned['ssim']:.4f}, {tuned['seconds']:.3f} s/image")
        print(lines[-1], flush=True)
    lines.append("timings: 2-core CPU")
    atomic_write_text(args.out, preset_yaml(params, header=lines))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
