"""``mrisr test``: evaluate a LIIF checkpoint on a paired split (same metrics as evaluate)."""

from __future__ import annotations

import argparse

NAME = "test"
HELP = "measure a LIIF checkpoint on a paired split (PSNR, SSIM, s/image)"
ORDER = 45


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--checkpoint", required=True, help=".safetensors weights or .pt training checkpoint")
    p.add_argument("--data", required=True, help="data root in the study layout")
    p.add_argument("--split", required=True, help="split folder name, e.g. val")
    p.add_argument("--scale", required=True, type=float, help="upscaling factor")
    p.add_argument("--baseline", action="store_true", help="also run bicubic, side by side")
    p.add_argument("--device", default="cpu", help="torch device (cpu, cuda, ...)")
    p.add_argument("--out", help="folder for per_image.csv and summary.json")
    p.add_argument("--limit", type=int, help="use only the first N images")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")


def run(args: argparse.Namespace) -> int:
    from mrisr.evaluation import evaluate_split, format_table, write_results

    spec = f"liif:{args.checkpoint}"
    specs = (["bicubic"] if args.baseline else []) + [spec]
    result = evaluate_split(args.data, args.split, args.scale, specs, params={spec: {"device": args.device}},
                            limit=args.limit, progress=not args.no_progress)
    print(f"{args.split} x{args.scale:g}: {result.meta['images']} images")
    print(format_table(result))
    if args.out:
        for path in write_results(result, args.out):
            print(f"wrote {path}")
    return 0
