"""Tune ELRTV for through-plane SR (the ``slice_profile`` operator) on IXI training slices, write a preset.

The shipped ELRTV presets were tuned on IXI's in-plane pairs. Through-plane SR (``mrisr.upscale_through_plane``)
solves a different problem: one axis of each plane is sharp, the other averaged over thick slices. Here the
tuning images are IXI train HR slices (T2; the same 12 images by name as the in-plane presets) thickened along
one axis (``profile_matrix``), alternately along columns and rows, in float (a volume is not stored as 8-bit LR
images), with the slice profiles of ``--profiles`` in turn; each image is solved with its own profile, as
``upscale_through_plane`` is told it. The study starts from ``--start-preset`` (default the in-plane preset of
the same scale); the result is checked on the val split and on train images 400..449, degraded the same way, and
written with its provenance as a preset YAML. The shipped through-plane presets came from two rounds: contiguous
boxes only, from the in-plane presets (commit 08b58e6), then the three profiles below from those:

    python release/tune_through_plane.py --data ../shared/data/ixi-t2-midslices --factor 2 --trials 40 \
        --out src/mrisr/classical/presets/elrtv_slices_x2.yaml
    python release/tune_through_plane.py --data ../shared/data/ixi-t2-midslices --factor 2 --trials 40 \
        --profiles box:1,box:0.75,gaussian:1 --start-preset src/mrisr/classical/presets/elrtv_slices_x2.yaml \
        --out src/mrisr/classical/presets/elrtv_slices_x2.yaml

(and the same with ``--factor 4`` and ``_x4``).

The test split is never read. The MNI152 volume of ``study/experiments/through_plane/`` is not used here either, so
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


def parse_profiles(text: str) -> list[tuple[str, float]]:
    """'box:1,gaussian:1' -> [('box', 1.0), ('gaussian', 1.0)] (thickness in slice spacings)."""
    out = []
    for item in text.split(","):
        name, _, t = item.strip().partition(":")
        out.append((name, float(t or 1.0)))
    return out


def thicken(hr: np.ndarray, factor: int, axis: int, profile: str = "box", thickness: float = 1.0) -> np.ndarray:
    """``hr`` averaged over each slice's profile, ``factor`` times fewer samples along ``axis`` (0 rows, 1 columns)."""
    m = profile_matrix(hr.shape[axis], hr.shape[axis] // factor, profile=profile, thickness=thickness)
    return (m @ hr if axis == 0 else hr @ m.T).astype(np.float32)


def load(root: Path, split: str, factor: int, start: int, count: int,
         profiles: list[tuple[str, float]]) -> TuneData:
    """HR images ``start .. start+count`` of ``root/split`` (by name) and their thick-slice versions.

    Image ``k`` is thickened along columns for even ``k``, rows for odd, with profile ``k mod len(profiles)``,
    and carries that profile as its operator.
    """
    paths = list_images(root / split)[start:start + count]
    if not paths:
        raise SystemExit(f"{root / split}: no images in {start}..{start + count - 1}")
    hr = [read_image(p).astype(np.float64) for p in paths]
    lr, ops = [], []
    for k, h in enumerate(hr):
        name, t = profiles[k % len(profiles)]
        lr.append(thicken(h, factor, axis=(k + 1) % 2, profile=name, thickness=t))
        ops.append({**OPERATOR, "profile": name, "thickness": t})
    return TuneData([p.name for p in paths], hr, lr, ops)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", required=True, type=Path, help="study-layout root (train, val)")
    ap.add_argument("--factor", type=int, required=True, choices=(2, 4))
    ap.add_argument("--trials", type=int, default=40)
    ap.add_argument("--images", type=int, default=12)
    ap.add_argument("--profiles", default="box:1",
                    help="slice profiles (name:thickness in spacings) cycled over the images, e.g. "
                         "box:1,box:0.75,gaussian:1; each image is solved with its own")
    ap.add_argument("--start-preset", type=Path, help="preset enqueued as the first trial (default: in-plane)")
    ap.add_argument("--max-seconds", type=float, default=1.5, help="prune trials slower than this per image")
    ap.add_argument("--storage", help="Optuna storage URL (resumes), e.g. sqlite:////tmp/tp.db")
    ap.add_argument("--out", required=True, type=Path)
    args = ap.parse_args(argv)

    profiles = parse_profiles(args.profiles)
    data = load(args.data, "train", args.factor, 0, args.images, profiles)
    start = read_preset(args.start_preset or preset_path(args.factor))
    fixed = {"zero_background": True, "steps": 1}
    params, meta = tune(data, args.factor, trials=args.trials, storage=args.storage, seed=0, rank_mode="patch",
                        max_seconds=args.max_seconds, first=start, fixed=fixed, operator=OPERATOR,
                        study_name=f"elrtv-slices-x{args.factor}-{args.profiles}")
    inplane = {**read_preset(preset_path(args.factor)), **fixed, "operator": OPERATOR}
    lines = [
        f"ELRTV preset for through-plane SR at {args.factor}x (mrisr.upscale_through_plane): the slice_profile operator",
        "(contiguous box; upscale_through_plane replaces it with the profile and thickness it is given).",
        f"command: python {' '.join(shlex.quote(a) for a in [sys.argv[0], *(argv or sys.argv[1:])])}",
        f"tuned on train images 0..{args.images - 1} by name ({data.names[0]} .. {data.names[-1]}), thickened "
        f"alternately along columns and rows with the profiles {args.profiles} in turn (each solved with its own), float",
        f"study {meta['study']}: {meta['trials']} trials, best #{meta['best_trial']}: PSNR {meta['psnr']:.3f} dB, "
        f"SSIM(7x7) {meta['ssim']:.4f}, {meta['seconds']:.3f} s/image",
        "checks (same degradation; bicubic = cubic interpolation along the thick axis; 'in-plane preset' = the",
        f"shipped elrtv_x{args.factor}.yaml with this operator):",
    ]
    for label, split, s0, n in (("val", "val", 0, 6), ("train 400..449", "train", 400, 50)):
        check = load(args.data, split, args.factor, s0, n, profiles)
        tuned, old = measure(check, params), measure(check, inplane)
        first = ""
        if args.start_preset:
            m = measure(check, {**start, "operator": OPERATOR})
            first = f"start preset {m['psnr']:.3f} / {m['ssim']:.4f}; "
        lines.append(f"  {label} ({len(check.hr)}): bicubic {tuned['bicubic_psnr']:.3f} dB / "
                     f"{tuned['bicubic_ssim']:.4f}; in-plane preset {old['psnr']:.3f} / {old['ssim']:.4f}; {first}"
                     f"this preset {tuned['psnr']:.3f} / {tuned['ssim']:.4f}, {tuned['seconds']:.3f} s/image")
        print(lines[-1], flush=True)
    lines.append("timings: 2-core CPU")
    atomic_write_text(args.out, preset_yaml(params, header=lines))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
