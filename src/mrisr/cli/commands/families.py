"""``mrisr families``: every method under every degradation family, one table per scale with CIs."""

from __future__ import annotations

import argparse

from mrisr.cli.options import (
    add_runtime_arguments,
    name_list,
    nonnegative_int,
    number_list,
    positive_int,
)

NAME = "families"
HELP = "table every method under every degradation family (k-space, resizes, blurs, noise) with 95% CIs"
DESCRIPTION = (
    "Degrade the HR images of DATA/SPLIT by each family (default: the study's pipeline, bicubic resize, "
    "k-space truncation with and without Rician noise, a wider Gaussian, a Gaussian with Rician noise), "
    "run every method and write OUT/families.md (mean PSNR with 95% bootstrap CIs, best in bold, each "
    "method's worst image against bicubic), OUT/per_image.csv and OUT/summary.json."
)
ORDER = 25


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data", required=True, help="data root holding <split> (HR images; stored LR is not used)")
    p.add_argument("--split", required=True, help="split folder name, e.g. val")
    p.add_argument("--scales", default="2,4", type=number_list, help="comma-separated factors (default 2,4)")
    p.add_argument("--methods", type=name_list,
                   help="comma-separated method specs; each runs at the scales it allows (default: bicubic, "
                        "zerofill, elrtv, liif-x2, liif-x4, liif-ms-x2, liif-ms-x4, liif-blind)")
    p.add_argument("--family", action="append", metavar="LABEL=SPEC", default=[],
                   help="a family of one's own (repeatable; replaces the defaults), e.g. 'hann k-space=kspace:"
                        "window=hann+quant:8'; grammar: mrisr evaluate --help")
    p.add_argument("--params", help="YAML file of method parameters (as for 'mrisr evaluate'), e.g. "
                                    "'acquisition: kspace' for the LIIF methods")
    p.add_argument("--holdout", type=nonnegative_int, default=0,
                   help="also the N images a training config holds out of DATA/train (liif-blind: 10)")
    p.add_argument("--seed", type=nonnegative_int, default=0, help="image i is degraded with seed [SEED, i]")
    p.add_argument("--contrast", default="", metavar="SPEC",
                   help="same-grid steps that change each HR image (the target too) before it is degraded, a "
                        "stand-in for another contrast, e.g. 'remap:nonmonotone' (draws: seed [SEED, i, 1])")
    p.add_argument("--resamples", type=positive_int, default=9999, help="bootstrap resamples (default 9999)")
    p.add_argument("--limit", type=positive_int, help="use only the first N images")
    p.add_argument("--out", required=True, help="output folder (created; earlier tables in it are replaced)")
    p.add_argument("--no-progress", action="store_true", help="hide progress bars")
    add_runtime_arguments(p)


def _families(items: list[str]) -> dict[str, str] | None:
    out: dict[str, str] = {}
    for item in items:
        label, eq, spec = (t.strip() for t in item.partition("="))
        if not eq or not label or not spec:
            raise ValueError(f"--family must be LABEL=SPEC, got {item!r}")
        if label in out:
            raise ValueError(f"--family {label!r} given twice")
        out[label] = spec
    return out or None


def run(args: argparse.Namespace) -> int:
    from mrisr._outputs import output_folder
    from mrisr.cli.commands.evaluate import load_params
    from mrisr.methods import device_params
    from mrisr.report.families import (
        DEFAULT_METHODS,
        evaluate_families,
        markdown,
        summarise,
        write_families,
    )

    families = _families(args.family)
    methods = list(args.methods or DEFAULT_METHODS)
    given = load_params(args.params, methods)
    with output_folder(args.out):
        result = evaluate_families(
            args.data, args.split, list(args.scales), methods, families=families, holdout=args.holdout,
            seed=args.seed, contrast=args.contrast, limit=args.limit,
            params={m: {**device_params(m, args.device), **given.get(m, {})} for m in methods},
            progress=not args.no_progress,
        )
        paths = write_families(result, args.out, resamples=args.resamples)
    print(markdown(summarise(result, resamples=args.resamples), ci=False))
    print("wrote " + ", ".join(str(p) for p in paths))
    return 0
