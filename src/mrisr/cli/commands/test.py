"""``mrisr test``: evaluate a LIIF checkpoint on a paired split (same metrics as evaluate)."""

from __future__ import annotations

import argparse

NAME = "test"
HELP = "measure a LIIF checkpoint on a paired split (PSNR, SSIM, s/image)"
ORDER = 45


def add_arguments(p: argparse.ArgumentParser) -> None:
    from mrisr.cli.commands.evaluate import add_split_arguments

    p.add_argument("--checkpoint", required=True, help=".safetensors weights or .pt training checkpoint")
    add_split_arguments(p)
    p.add_argument("--baseline", action="store_true", help="also run bicubic, side by side")


def run(args: argparse.Namespace) -> int:
    from mrisr.cli.commands.evaluate import measure

    spec = f"liif:{args.checkpoint}"
    specs = (["bicubic"] if args.baseline else []) + [spec]
    return measure(args, specs)
