"""``mrisr prepare``: NIfTI volumes -> HR/LR mid-slice pairs in the study layout."""

from __future__ import annotations

import argparse

from mrisr.cli.options import positive_int

NAME = "prepare"
HELP = "make HR/LR slice pairs (train, 'train x2', ...) from a folder of NIfTI volumes"
ORDER = 10
DESCRIPTION = (
    "Take the middle slice of every NIfTI volume in --input (IXI naming: subject = IXI<digits> "
    "prefix), normalise it robustly, fit it to a size x size square and write HR plus LR PNGs "
    "at each scale under --out in the study layout, split by subject. A bad volume stops the "
    "run (use --skip-bad to skip it); nothing is written unless the run succeeds."
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--input", required=True, help="folder of .nii/.nii.gz volumes")
    p.add_argument("--out", required=True, help="dataset root to write (its split folders must not exist)")
    p.add_argument("--axis", type=int, default=2, choices=(0, 1, 2),
                   help="slice axis after RAS+ reorientation: 2 axial (default), 1 coronal, 0 sagittal")
    p.add_argument("--size", type=positive_int, default=256, help="HR side length in pixels (default 256)")
    p.add_argument("--scales", default="2,4", help="comma-separated LR factors (default 2,4)")
    p.add_argument("--degradation", default="bicubic",
                   help="how the LR images are made: a degradation spec, e.g. bicubic (default), gaussian, kspace, "
                        "kspace:window=hann+rician:0.02+quant:8 (every step and option: docs/degradations.md)")
    p.add_argument("--split", default="0.8,0.1,0.1", help="train,val,test fractions by subject (default 0.8,0.1,0.1)")
    p.add_argument("--seed", type=int, default=0, help="seed of the subject-to-split hash (default 0)")
    p.add_argument("--percentiles", default="0.5,99.5", help="robust clip percentiles (default 0.5,99.5)")
    p.add_argument("--voxel-order", action="store_true", help="slice in stored voxel order (no RAS+ reorientation)")
    p.add_argument("--skip-bad", action="store_true", help="skip unusable volumes with a warning instead of stopping")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")


def _percentiles(text: str) -> tuple[float, float]:
    try:
        lo, hi = (float(v) for v in text.split(","))
    except ValueError:
        raise ValueError(f"--percentiles must be two numbers like 0.5,99.5, got {text!r}") from None
    if not 0 <= lo < hi <= 100:
        raise ValueError(f"--percentiles must satisfy 0 <= low < high <= 100, got {text!r}")
    return lo, hi


def run(args: argparse.Namespace) -> int:
    from mrisr.data.prepare import prepare_dataset

    result = prepare_dataset(
        args.input,
        args.out,
        axis=args.axis,
        size=args.size,
        scales=args.scales,
        degradation=args.degradation,
        split=args.split,
        seed=args.seed,
        skip_bad=args.skip_bad,
        canonical=not args.voxel_order,
        percentiles=_percentiles(args.percentiles),
        progress=not args.no_progress,
    )
    counts = ", ".join(f"{k} {v}" for k, v in result.counts.items())
    print(f"wrote {sum(result.counts.values())} slices to {result.root} ({counts})")
    print("folders: " + ", ".join(repr(f) for f in result.folders))
    for s in result.skipped:
        print(f"skipped: {s['error']}")
    return 0
