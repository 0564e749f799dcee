"""``mrisr demo``: run the default methods (or the named ones) on a real MRI slice (no data needed)."""

from __future__ import annotations

import argparse

from mrisr.cli.options import add_runtime_arguments, number_list

NAME = "demo"
HELP = "run the default methods on the MNI152 template shipped with nilearn (or --input)"
DESCRIPTION = (
    "Take the axial mid slice of a T1 volume (default: the MNI152 2009a template that nilearn "
    "installs, no download), degrade it x2 and x4, run the methods (default: the interpolation "
    "baselines, zerofill, ELRTV and the default shipped LIIF weights; the other shipped models and "
    "ensembles run when named with --methods), print the metrics table and save one figure (HR, LR, "
    "outputs, error maps) plus metrics.csv and summary.json."
)
ORDER = 10


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", default="mrisr-demo", help="output folder (default: mrisr-demo; created, files in it replaced)")
    p.add_argument("--input", help="a 3-D NIfTI volume (.nii or .nii.gz) instead of the MNI152 template")
    p.add_argument("--scales", default="2,4", type=number_list, help="comma-separated upscaling factors (default: 2,4)")
    p.add_argument("--methods", help="comma-separated method specs (default: every registered method except "
                                     "the shipped weights that are not defaults, e.g. liif-ms-x4, and the ensembles)")
    p.add_argument("--degradation", default="gaussian",
                   help="how LR images are made: gaussian (default), bicubic or kspace")
    p.add_argument("--no-progress", action="store_true", help="hide progress bars")
    add_runtime_arguments(p)


def run(args: argparse.Namespace) -> int:
    from mrisr._outputs import output_folder
    from mrisr.demo import run_demo

    methods = [m.strip() for m in args.methods.split(",") if m.strip()] if args.methods else None
    scales = list(args.scales)
    with output_folder(args.out):
        rep = run_demo(out_dir=args.out, scales=scales, methods=methods, progress=not args.no_progress,
                       input_path=args.input, degradation=args.degradation, device=args.device)
    print(f"input: {rep['input']} (axial mid slice, 256x256; LR by '{args.degradation}')")
    for s in rep["scales"]:
        print(f"\nx{s:g}")
        print(rep["tables"][s])
        for name, why in rep["skipped"][s].items():
            print(f"  skipped {name}: {why}")
    print(f"\nwrote {rep['figure']}, {rep['csv']} and {rep['json']}")
    return 0
