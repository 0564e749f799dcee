"""Probe: does a data-consistency step on the LR grid help the shipped LIIF models?

For each val image the model renders x0 at 256 px; the corrected estimate is
``argmin_x ||D x + b - y||^2 + mu ||x - x0||^2`` (exact Kronecker solve), with y the stored LR image and D the
2x operator of REFERENCE.md (2x) or a kernel fitted on train pairs only (4x). ``mu`` is swept on val, so the
best row is an optimistic reference.

    python study/experiments/consistency/probe.py --weights src/mrisr/weights/liif_smam_eem_x4.safetensors --scale 4
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from mrisr.classical import estimate_kernel
from mrisr.classical.operators import make_operator
from mrisr.metrics import psnr
from mrisr.models.checkpoint import load_model
from mrisr.train.data import load_stack

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "offdomain_render"))
from deconv_probe import IXI_X2, render, sweep  # noqa: E402  (the same solve, operator and rendering, other data)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--weights", required=True)
    ap.add_argument("--scale", type=int, required=True)
    ap.add_argument("--data", default="../shared/data/ixi-t2-midslices")
    ap.add_argument("--mu", default="1,0.3,0.1,0.03,0.01,0.003,0.001")
    ap.add_argument("--fit-images", type=int, default=60)
    args = ap.parse_args()
    names, hr = load_stack(args.data, "val", 1)
    _, lr = load_stack(args.data, "val", args.scale, names)
    if args.scale == 2:
        op = make_operator(IXI_X2, hr.shape[1:], lr.shape[1:])
    else:
        tn, thr = load_stack(args.data, "train", 1)
        _, tlr = load_stack(args.data, "train", args.scale, tn)
        est = estimate_kernel(list(thr[: args.fit_images]), list(tlr[: args.fit_images]), args.scale)
        print(f"kernel fit on {args.fit_images} train pairs: rms {est.rms:.3f} grey levels, {100 * est.exact:.1f}% exact")
        op = est.operator(hr.shape[1:], lr.shape[1:])
    model, _ = load_model(args.weights)
    x0 = render(model, lr, hr.shape[1:])
    hr_res = np.sqrt(np.mean([(op.forward(h) + op.bias - y) ** 2 for h, y in zip(hr, lr, strict=True)])) * 255
    sr_res = np.sqrt(np.mean([(op.forward(x) + op.bias - y) ** 2 for x, y in zip(x0, lr, strict=True)])) * 255
    print(f"LR residual RMS (grey levels): HR {hr_res:.3f}, model {sr_res:.3f}")
    print(f"model: {np.mean([psnr(x0[i], hr[i]) for i in range(len(hr))]):.3f} dB")
    for mu, value in sweep(op, lr, x0, hr, [float(m) for m in args.mu.split(",")]):
        print(f"  mu = {mu:<6g} {value:.3f} dB")


if __name__ == "__main__":
    main()
