"""``mrisr report``: tables with confidence intervals and tests, figures, learning curves."""

from __future__ import annotations

import argparse
import shlex
import sys

from mrisr.cli.options import add_runtime_arguments, nonnegative_int, number_list, positive_int

NAME = "report"
HELP = "write a report folder: results table with 95% CIs and tests, figures, learning curves"
DESCRIPTION = (
    "Evaluate methods on a split at several scales and write OUT/index.md, OUT/index.html, "
    "per_image.csv, summary.csv and PNG figures. Results are cached per method, data, scale and "
    "parameters, so a second run only redraws."
)
ORDER = 30


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--data", required=True, help="data root with <split> and '<split> x<s>' folders"
    )
    p.add_argument("--split", required=True, help="split folder name, e.g. val")
    p.add_argument("--scales", required=True, type=number_list, help="comma-separated upscaling factors, e.g. 2,4")
    p.add_argument(
        "--methods", required=True, help="comma-separated method specs, e.g. bicubic,elrtv,liif-x2"
    )
    p.add_argument("--out", required=True, help="report folder (created; files in it are replaced)")
    p.add_argument(
        "--images",
        help="qualitative figures: a count (spread over the split) or comma-separated names (default 3)",
    )
    p.add_argument(
        "--box",
        help="zoom box y,x,h,w in HR pixels (default: the most detailed quarter-size square)",
    )
    p.add_argument(
        "--logs",
        nargs="+",
        action="extend",
        default=[],
        metavar="LOG",
        help="training logs: metrics.csv, TensorBoard event file, or run folder; LABEL=PATH names a run",
    )
    p.add_argument(
        "--published", help="CSV with columns run,epoch,val_psnr overlaid on the learning curves"
    )
    p.add_argument("--params", help="YAML file of method parameters (as for 'mrisr evaluate')")
    p.add_argument(
        "--no-cache", action="store_true", help="run every method again (the cache is refreshed)"
    )
    p.add_argument(
        "--cache-dir", help="cache folder (default $MRISR_CACHE/report or ~/.cache/mrisr/report)"
    )
    p.add_argument(
        "--baseline",
        default="bicubic",
        help="method the improvement is measured against (default bicubic)",
    )
    p.add_argument("--resamples", type=positive_int, default=9999, help="bootstrap resamples (default 9999)")
    p.add_argument("--seed", type=int, default=0, help="bootstrap RNG seed (default 0)")
    p.add_argument(
        "--shave", type=nonnegative_int, default=0, help="border pixels excluded from metrics (default 0)"
    )
    p.add_argument("--limit", type=positive_int, help="use only the first N images")
    p.add_argument(
        "--on-the-fly", action="store_true", help="degrade HR on the fly even if LR folders exist"
    )
    p.add_argument("--no-progress", action="store_true", help="hide progress bars")
    add_runtime_arguments(p)


def _csv(text: str) -> list[str]:
    return [t.strip() for t in text.split(",") if t.strip()]


def _images(text: str | None) -> int | tuple[str, ...] | None:
    if text is None:
        return None
    return int(text) if text.strip().isdigit() else tuple(_csv(text))


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from mrisr._outputs import output_folder
    from mrisr.cli.commands.evaluate import load_params
    from mrisr.report import ReportOptions, build_report
    from mrisr.report.figures import parse_box

    methods = tuple(_csv(args.methods))
    opts = ReportOptions(
        data=Path(args.data),
        split=args.split,
        scales=args.scales,
        methods=methods,
        out=Path(args.out),
        images=_images(args.images),
        box=parse_box(args.box) if args.box else None,
        logs=tuple(args.logs),
        published=Path(args.published) if args.published else None,
        use_cache=not args.no_cache,
        cache_dir=Path(args.cache_dir) if args.cache_dir else None,
        params=load_params(args.params, list(methods)),
        device=args.device,
        shave=args.shave,
        limit=args.limit,
        on_the_fly=True if args.on_the_fly else None,
        baseline=args.baseline,
        n_resamples=args.resamples,
        seed=args.seed,
        progress=not args.no_progress,
        command="mrisr " + " ".join(shlex.quote(a) for a in sys.argv[1:])
        if sys.argv[1:2] == ["report"]
        else "",
    )
    with output_folder(opts.out):
        report = build_report(opts)
    for run_ in report.scales:
        cached = sum(run_.cached.values())
        print(
            f"x{run_.scale:g}: {len(run_.pairs)} images, {len(run_.stats)} methods ({cached} from cache)"
            + (f", skipped: {', '.join(run_.skipped)}" if run_.skipped else "")
        )
    print(f"wrote {len(report.files)} files to {report.out} (open {report.out / 'index.html'})")
    return 0
