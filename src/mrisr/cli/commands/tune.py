"""``mrisr tune elrtv``: Optuna search for ELRTV parameters, written to YAML."""

from __future__ import annotations

import argparse
import shlex
import sys

from mrisr.cli.options import nonnegative_int, positive_float, positive_int

NAME = "tune"
HELP = "tune a classical method's parameters on train/val images (Optuna), write YAML"
ORDER = 30


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("method", choices=["elrtv"], help="method to tune")
    p.add_argument("--data", required=True, help="data root with <split> and '<split> x<s>' folders")
    p.add_argument("--split", default="train", help="split to tune on (train or val; never test)")
    p.add_argument("--scale", required=True, type=int, help="integer upscaling factor with stored LR")
    p.add_argument("--trials", type=positive_int, default=40, help="finished trials wanted in the study (default 40)")
    p.add_argument("--images", type=positive_int, default=12, help="tuning images (default 12)")
    p.add_argument("--start", type=nonnegative_int, default=0, help="index of the first tuning image, by name (default 0)")
    p.add_argument("--storage", help="Optuna storage URL, e.g. sqlite:///elrtv.db (resumes if it exists)")
    p.add_argument("--study", help="study name (default elrtv-x<scale>-<rank-mode>)")
    p.add_argument("--out", help="YAML file for the best parameters (default: print)")
    p.add_argument("--seed", type=int, default=0, help="TPE sampler seed (default 0)")
    p.add_argument("--rank-mode", choices=["none", "global", "patch"], default="none",
                   help="low-rank term searched (default none: TV only)")
    p.add_argument("--max-seconds", type=positive_float, default=1.0, help="prune trials slower than this per image")
    p.add_argument("--taps", type=positive_int, default=12, help="kernel taps of the fitted operator (default 12)")
    p.add_argument("--check", action="append", default=[], metavar="SPLIT[:START:COUNT]",
                   help="also measure bicubic vs the best parameters here (repeatable), e.g. val or train:400:50")
    p.add_argument("--init-params", metavar="YAML",
                   help="parameters (e.g. an earlier preset) tried first in a new study")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="fix an ELRTV option in every trial (repeatable; VALUE is YAML), e.g. zero_background=true")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")


def _parse_check(text: str) -> tuple[str, int, int]:
    parts = text.split(":")
    if len(parts) == 1:
        return parts[0], 0, 10**9
    if len(parts) != 3:
        raise ValueError(f"--check must be SPLIT or SPLIT:START:COUNT, got {text!r}")
    try:
        return parts[0], int(parts[1]), int(parts[2])
    except ValueError:
        raise ValueError(f"--check START and COUNT must be integers, got {text!r}") from None


def run(args: argparse.Namespace) -> int:
    from mrisr._atomic import atomic_write_text
    from mrisr._outputs import check_output_file, replaced_note
    from mrisr.classical import tune as T
    from mrisr.config import parse_overrides

    if args.split.lower().startswith("test"):
        raise ValueError(f"refusing to tune on {args.split!r}: tune on train or val only")
    checks = [_parse_check(c) for c in args.check]
    inputs = [args.init_params] if args.init_params else []
    note = replaced_note(check_output_file(args.out, suffixes=(".yaml", ".yml"), inputs=inputs)) if args.out else ""
    fixed = parse_overrides(args.set)
    if fixed:
        from mrisr.classical.elrtv import ELRTVConfig

        ELRTVConfig.from_dict(fixed)  # unknown names and bad values fail before any work
    first = None
    if args.init_params:
        from mrisr.classical.method import read_preset

        first = read_preset(args.init_params)
    data = T.load_images(args.data, args.split, args.scale, start=args.start, count=args.images)
    params, meta = T.tune(data, args.scale, trials=args.trials, storage=args.storage, study_name=args.study,
                          seed=args.seed, rank_mode=args.rank_mode, max_seconds=args.max_seconds,
                          taps=args.taps, progress=not args.no_progress, first=first, fixed=fixed)
    header = [
        f"ELRTV parameters for x{args.scale}, tuned by mrisr tune (Optuna TPE, seed {args.seed}).",
        "command: mrisr " + " ".join(shlex.quote(a) for a in sys.argv[1:]),
        f"tuned on {args.split} images {args.start}..{args.start + len(data.names) - 1} by name "
        f"({data.names[0]} .. {data.names[-1]}); operator fitted on the same images",
        f"study {meta['study']}: {meta['trials']} trials, best #{meta['best_trial']}: "
        f"PSNR {meta['psnr']:.3f} dB, SSIM(7x7) {meta['ssim']:.4f}, {meta['seconds']:.3f} s/image",
    ]
    for split, start, count in checks:
        if split.lower().startswith("test"):
            raise ValueError(f"refusing to measure on {split!r} here")
        d = T.load_images(args.data, split, args.scale, start=start, count=count)
        m = T.measure(d, params)
        header.append(
            f"{split} images {start}..{start + len(d.names) - 1} ({len(d.names)}): bicubic {m['bicubic_psnr']:.3f} dB / "
            f"{m['bicubic_ssim']:.4f}; ELRTV {m['psnr']:.3f} dB / {m['ssim']:.4f}, {m['seconds']:.3f} s/image"
        )
    header.append("timings: one thread (OMP_NUM_THREADS=1), machine under load; SSIM 7x7 uniform window.")
    text = T.preset_yaml(params, header=header)
    if args.out:
        atomic_write_text(args.out, text)
        print(f"wrote {args.out}{note}")
    print("\n".join(header))
    if not args.out:
        print(text)
    return 0
