"""``mrisr bids``: a BIDS App; super-resolve a BIDS dataset's anatomical images into a derivatives dataset."""

from __future__ import annotations

import argparse

from mrisr.cli.batch import add_batch_arguments
from mrisr.cli.options import add_runtime_arguments

NAME = "bids"
HELP = "super-resolve a BIDS dataset's T1w/T2w images into a BIDS derivatives dataset (a BIDS App)"
DESCRIPTION = (
    "BIDS App: mrisr bids BIDS_DIR OUT_DIR participant. Thick-slice images (a voxel size more than 1.5 times the "
    "others, from the header) get slices through-plane up to isotropic voxels; the others are super-resolved "
    "in-plane by --scale. Outputs keep their entities and add res-<label> and desc-mrisr, each with a JSON "
    "sidecar; OUT_DIR gets dataset_description.json. Resumable like 'mrisr upscale FOLDER'."
)
ORDER = 15


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("bids_dir", help="the BIDS dataset (with dataset_description.json)")
    p.add_argument("output_dir", help="the derivatives dataset to write, e.g. BIDS_DIR/derivatives/mrisr")
    p.add_argument("analysis_level", choices=("participant",), help="participant (the only level)")
    p.add_argument("--participant-label", "--participant_label", nargs="+", metavar="LABEL",
                   help="participants to process, with or without 'sub-' (default: all)")
    p.add_argument("--session", "--session-label", "--session_label", nargs="+", metavar="LABEL",
                   help="sessions to process, with or without 'ses-' (default: all)")
    p.add_argument("--suffix", default="T1w,T2w", help="comma-separated image suffixes (default: T1w,T2w)")
    p.add_argument("--scale", type=float, default=2.0, help="in-plane factor for images that are not thick-slice "
                                                            "(default 2)")
    p.add_argument("--method", help="method for every image (default: the shipped LIIF weights in-plane, "
                                    "liif-selfsup through-plane)")
    p.add_argument("--intensity", choices=("auto", "off"), default="auto",
                   help="the intensity guard of the shipped methods (as for 'mrisr upscale')")
    p.add_argument("--reuse-model", metavar="PATH",
                   help="thick-slice images: render with a liif-selfsup model saved by 'mrisr upscale ... "
                        "--save-model' on one volume of the same protocol, instead of fitting each volume")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    add_runtime_arguments(p)
    add_batch_arguments(p, suffix=False)


def run(args: argparse.Namespace) -> int:
    from mrisr._atomic import check_output_dir
    from mrisr.batch.bids import bids_tasks, write_description
    from mrisr.cli.batch import check_batch_options, job_threads, run_tasks
    from mrisr.data.resize import check_scale
    from mrisr.methods import default_method, device_params, method_info
    from mrisr.volume.selfsup import METHOD as SELFSUP
    from mrisr.volume.selfsup import reuse_params

    check_batch_options(args, True)
    scale = check_scale(args.scale)
    method = args.method or default_method(scale)
    through = args.method or SELFSUP
    through_params = {"intensity": args.intensity, **device_params(through, args.device)}
    if args.reuse_model is not None:
        if args.method:
            raise ValueError(f"--reuse-model applies to {SELFSUP}, the default through-plane method, not {args.method!r}")
        through_params.update(reuse_params(args.reuse_model))
    params = {"intensity": args.intensity, **device_params(method, args.device)}
    if not args.method and method_info(method).family == "liif":
        params["any_scale"] = True
    suffixes = [s.strip() for s in args.suffix.split(",") if s.strip()]
    out = check_output_dir(args.output_dir)
    tasks = bids_tasks(args.bids_dir, out, participants=args.participant_label, sessions=args.session,
                       suffixes=suffixes, scale=scale, method=method, through_method=through, params=params,
                       through_params=through_params,
                       threads=job_threads(args))
    write_description(args.bids_dir, out)
    return run_tasks(args, tasks, out)
