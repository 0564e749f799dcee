"""``mrisr evaluate``: run methods over a paired split and tabulate metrics."""

from __future__ import annotations

import argparse

from mrisr.cli.options import add_runtime_arguments, nonnegative_int, positive_int

NAME = "evaluate"
HELP = "evaluate SR methods on a paired split (PSNR, SSIM, seconds per image)"
ORDER = 20

#: ``--degrade`` help (static: building the parser must not import numpy); a test checks it names every family.
DEGRADE_HELP = """\
--degrade SPEC makes the LR images from the HR folder <data>/<split> (any folder of HR images)
instead of reading stored LR pairs. SPEC is a pipeline of steps run left to right:

  SPEC  := STEP ("+" STEP)*
  STEP  := NAME [":" ARG ("," ARG)*]
  ARG   := VALUE | KEY=VALUE      (bare values fill the options in order; "a/b" = rows/cols)

exactly one resampling step:
  gaussian[:sigma]  area  bicubic  lanczos[:lobes]  slice_profile[:profile,thickness]
  kspace[:window=none|hann|hamming|tukey,alpha,pf=0.5..1,pf_axis=0|1]  kernel:taps_h=a/b/...
any number of same-grid steps (noise in [0, 1] intensity units):
  none  noise:sigma  rician:sigma  quant:bits=8|12|16,mode=round|floor  gain:factor  gamma:gamma
  smooth:sigma  bias:strength,order  remap:kind=monotone|nonmonotone,knots

e.g. kspace:window=hann,pf=0.75+rician:0.02+quant:8   gaussian:sigma=1.2/0.8+noise:0.01
The output is clipped to [0, 1]; add +quant:8 for 8-bit LR. Image i uses the seed [--seed, i].
Full definitions: python -m pydoc mrisr.data.degrade
"""


def add_split_arguments(p: argparse.ArgumentParser) -> None:
    """The options every split-measuring command shares (``evaluate``, ``test``), with ``--device``/``--threads``."""
    p.add_argument("--data", required=True, help="data root with <split> and '<split> x<s>' folders")
    p.add_argument("--split", required=True, help="split folder name, e.g. val")
    p.add_argument("--scale", required=True, type=float, help="upscaling factor (stored LR used when present)")
    p.add_argument("--out", help="folder for per_image.csv and summary.json (created; earlier results replaced)")
    p.add_argument("--limit", type=positive_int, help="use only the first N images")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    add_runtime_arguments(p)


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_split_arguments(p)
    p.add_argument("--method", required=True, help="comma-separated method specs, e.g. bicubic,elrtv,liif-x2")
    p.add_argument("--params", help="YAML file of method parameters (e.g. from 'mrisr tune elrtv'; 'intensity: off' "
                   "turns the intensity guard of the shipped methods off)")
    p.add_argument("--shave", type=nonnegative_int, default=0, help="border pixels excluded from metrics (default 0)")
    p.add_argument("--on-the-fly", action="store_true", help="degrade HR on the fly even if LR folders exist")
    p.add_argument("--degrade", metavar="SPEC",
                   help="degrade the HR split on the fly with SPEC, e.g. kspace:window=hann+rician:0.02+quant:8 "
                   "(grammar and families below)")
    p.add_argument("--seed", type=int, default=0, help="--degrade: seed of the random steps (default 0)")
    p.add_argument("--contrast", default="", metavar="SPEC",
                   help="--degrade: same-grid steps that change each HR image (the target too) first, a stand-in "
                        "for another contrast, e.g. remap:nonmonotone")
    p.formatter_class = argparse.RawDescriptionHelpFormatter
    p.epilog = DEGRADE_HELP


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
    from mrisr.methods import device_params

    existed = bool(args.out) and any((Path(args.out) / n).exists() for n in ("per_image.csv", "summary.json"))
    given = options.get("params") or {}
    options["params"] = {s: {**device_params(s, args.device), **given.get(s, {})} for s in specs}
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
        degrade=args.degrade,
        seed=args.seed,
        contrast=args.contrast,
    )
