"""Does a data-consistency step help the study-pipeline specialists on other contrasts?

``liif-blind`` hands an input it reads as the IXI study's pipeline (Gaussian of sigma 1 HR pixel, area average,
8-bit floor) to ``liif-x2`` / ``liif-x4``. That pipeline is a known linear operator ``D``, so the network's
output ``x0`` can be pulled towards the images that explain the input: ``argmin ||D x + b - y||^2 + mu ||x -
x0||^2`` (:meth:`mrisr.classical.operators.SeparableOperator.fit_towards`, exact). ELRTV, which enforces ``D``,
beats the specialists on the demo's T1 slice; this asks whether the step closes that gap on a contrast the
networks never saw, without costing on T2. ``mu`` is given as a fraction ``t`` of ``||D||^2``.

Images: the 16 of ``mrisr families --holdout 10`` (val + the 10 held-out train images), as they are (T2) and
after a random non-monotone intensity remap of each HR image (``remap:nonmonotone``, seeded per image, the
stand-in for another contrast of docs/blind.md). Reports mean PSNR and the worst image's change for each ``t``.

    python study/scripts/consistency_probe.py --data ../shared/data/ixi-t2-midslices
"""

from __future__ import annotations

import argparse

import numpy as np
from smooth_contrast_probe import targets

from mrisr.classical.operators import make_operator
from mrisr.data.degrade import lr_shape, parse_degradation
from mrisr.methods import make_method
from mrisr.metrics import psnr

STUDY = "gaussian:1+quant:8,floor"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True)
    ap.add_argument("--holdout", type=int, default=10)
    ap.add_argument("--spec", default=STUDY, help=f"LR degradation (default {STUDY})")
    ap.add_argument("--operator", default="gaussian:1", help="operator assumed, kind:sigma (default gaussian:1)")
    ap.add_argument("--bias", type=float, default=-0.5 / 255)
    ap.add_argument("--t", default="1,0.3,0.1,0.03,0.01", help="mu / ||D||^2 values")
    ap.add_argument("--scales", default="2,4")
    ap.add_argument("--elrtv", action="store_true", help="also score elrtv")
    args = ap.parse_args()
    ts = [float(v) for v in args.t.split(",")]
    kind, _, sigma = args.operator.partition(":")
    made = parse_degradation(args.spec)
    operators: dict = {}  # (HR shape, LR shape) -> the operator, built once (its eigendecomposition is cached)
    contrasts = targets(args.data, args.holdout, smooth=0.0)  # the same T2 and remapped images as that probe
    print(f"{len(contrasts['T2'])} images, LR `{args.spec}`, operator `{args.operator}` bias {args.bias:.5f}\n")
    head = ["scale", "HR", "specialist"] + [f"t={t:g}" for t in ts] + (["elrtv"] if args.elrtv else [])
    print("| " + " | ".join(head) + " |\n|" + "---|" * len(head))
    for s in (float(v) for v in args.scales.split(",")):
        net = make_method(f"liif-x{s:g}", scale=s)
        elrtv = make_method("elrtv", scale=s) if args.elrtv else None
        for name, hrs in contrasts.items():
            base, fitted, classical = [], {t: [] for t in ts}, []
            for i, hr in enumerate(hrs):
                lr = made(hr, lr_shape(hr.shape, s), seed=np.random.default_rng(i))
                if (hr.shape, lr.shape) not in operators:
                    operators[hr.shape, lr.shape] = make_operator(
                        {"kind": kind, **({"sigma": float(sigma)} if sigma else {}), "bias": args.bias},
                        hr.shape, lr.shape)
                op = operators[hr.shape, lr.shape]
                x0 = np.clip(net(lr, hr.shape), 0, 1)
                base.append(psnr(x0, hr))
                for t in ts:
                    fitted[t].append(psnr(np.clip(op.fit_towards(lr, x0, t * op.norm_sq), 0, 1), hr))
                if elrtv is not None:
                    classical.append(psnr(np.clip(elrtv(lr, hr.shape), 0, 1), hr))
            cells = [f"{np.mean(base):.2f}"] + [
                f"{np.mean(v):.2f} ({min(np.subtract(v, base)):+.2f})" for v in fitted.values()]
            cells += [f"{np.mean(classical):.2f}"] if classical else []
            print(f"| {s:g} | {name} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
