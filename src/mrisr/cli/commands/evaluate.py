"""``mrisr evaluate``: run methods over a paired split and tabulate metrics."""

from __future__ import annotations

import argparse

from mrisr.cli.options import nonnegative_int, positive_int

NAME = "evaluate"
HELP = "evaluate SR methods on a paired split (PSNR, SSIM, seconds per image)"
ORDER = 20


def add_split_arguments(p: argparse.ArgumentParser) -> None:
    """The options every split-measuring command shares (``evaluate``, ``test``)."""
    p.add_argument("--data", required=True, help="data root with <split> and '<split> x<s>' folders")
    p.add_argument("--split", required=True, help="split folder name, e.g. val")
    p.add_argument("--scale", required=True, type=float, help="upscaling factor (stored LR used when present)")
    p.add_argument("--out", help="folder for per_image.csv and summary.json (created; earlier results replaced)")
    p.add_argument("--limit", type=positive_int, help="use only the first N images")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_split_arguments(p)
    p.add_argument("--method", required=True, help="comma-separated method specs, e.g. bicubic,elrtv,liif-x2")
    p.add_argument("--params", help="YAML file of method parameters (e.g. from 'mrisr tune elrtv'; 'intensity: off' "
                   "turns the intensity guard of the shipped methods off)")
    p.add_argument("--shave", type=nonnegative_int, default=0, help="border pixels excluded from metrics (default 0)")
    p.add_argument("--on-the-fly", action="store_true", help="degrade HR on the fly even if LR folders exist")


def load_params(path: str | None, specs: list[str]) -> dict:
    """Read a YAML parameter file and attach it to every spec whose method takes parameters (not the baselines)."""
    if not path:
        return {}
    from mrisr.config import load_params as read_params
    from mrisr.methods import method_info

    params = read_params(path)
    return {s: params for s in specs if method_info(s).params != frozenset()}


def measure(args: argparse.Namespace, specs: list[str], **options) -> int:
    """Evaluate ``specs`` on the split named by ``args``, print the table, write ``--out``.

    ``--out`` is checked, created and locked before the (possibly long) run
    (:func:`mrisr._outputs.output_folder`); earlier results in it are replaced.
    """
    import contextlib

    from mrisr._outputs import output_folder

    with output_folder(args.out) if args.out else contextlib.nullcontext():
        return _measure(args, specs, **options)


def _measure(args: argparse.Namespace, specs: list[str], **options) -> int:
    from pathlib import Path

    from mrisr.evaluation import evaluate_split, format_table, write_results

    existed = bool(args.out) and any((Path(args.out) / n).exists() for n in ("per_image.csv", "summary.json"))
    result = evaluate_split(
        args.data, args.split, args.scale, specs, limit=args.limit, progress=not args.no_progress, **options
    )
    m = result.meta
    print(f"{m['split']} x{m['scale']:g}: {m['images']} images, LR {m['lr']}")
    print(format_table(result))
    if args.out:
        csv_path, json_path = write_results(result, args.out)
        print(f"wrote {csv_path} and {json_path}" + (" (replaced the earlier results)" if existed else ""))
    return 0


def run(args: argparse.Namespace) -> int:
    specs = [s.strip() for s in args.method.split(",") if s.strip()]
    if not specs:
        raise ValueError("--method names no method")
    return measure(
        args,
        specs,
        params=load_params(args.params, specs),
        shave=args.shave,
        on_the_fly=True if args.on_the_fly else None,
    )
