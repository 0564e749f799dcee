"""``mrisr train``: train a model from a YAML config."""

from __future__ import annotations

import argparse

from mrisr.cli.options import add_runtime_arguments, nonnegative_float, positive_int

NAME = "train"
HELP = "train a LIIF-family model from a YAML config (CPU, GPU or torchrun DDP)"
ORDER = 40


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", required=True, help="YAML training config")
    p.add_argument("--name", help="run name (default: the config's name)")
    p.add_argument("--runs", default="runs", help="parent folder of run folders (default: runs)")
    p.add_argument("--resume", action="store_true", help="continue the run from its last.pt exactly")
    add_runtime_arguments(p, device_default=None,
                          device_help="override the config's device: auto, cpu, cuda, cuda:N or mps")
    p.add_argument("--max-steps", type=positive_int, help="stop after this many steps in this call")
    p.add_argument("--max-minutes", type=nonnegative_float,
                   help="stop after this much training wall time in this call (saves last.pt; --resume goes on)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="override a config value, e.g. --set optim.lr=1e-4 (repeatable)")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")


def run(args: argparse.Namespace) -> int:
    from dataclasses import replace
    from pathlib import Path

    from mrisr.devices import is_out_of_memory
    from mrisr.errors import InputError
    from mrisr.train import load_train_config
    from mrisr.train.loop import train

    cfg = load_train_config(args.config, args.set)
    if args.threads:
        cfg = replace(cfg, threads=args.threads)
    name = args.name or cfg.name
    try:
        result = train(
            cfg, Path(args.runs) / name, resume=args.resume, device=args.device,
            progress=not args.no_progress, max_steps=args.max_steps,
            max_seconds=None if args.max_minutes is None else 60 * args.max_minutes,
        )
    except RuntimeError as exc:
        if not is_out_of_memory(exc):
            raise
        raise InputError(
            f"out of memory at batch size {cfg.batch_size}: set a smaller one (--set batch_size=N, and "
            "--set data.lr_patch=N for smaller patches), or --device cpu; --resume goes on from last.pt"
        ) from None
    print(f"{name}: step {result['step']}, best val PSNR {result['best_val_psnr']:.3f} dB, "
          f"{result['wall_hours']:.3f} h")
    return 0
