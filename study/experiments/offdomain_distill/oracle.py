"""Where does the off-domain model lose to the in-domain one: in what the 128-px image fixes, or beyond it?

For each model's 64 -> 256 rendering of the val images, prints its PSNR, how well it reproduces the stored
128-px image through IXI's 2x operator, and the PSNR of the image nearest to it that reproduces that 128-px image
(``SeparableOperator.fit_towards`` with a small ``mu``): an oracle that takes the part the 128-px image
determines from the data, so what remains is the model's own content beyond it. Uses the val HR and x2 images, so
a diagnostic only, never a method.

    python study/experiments/offdomain_distill/oracle.py --weights src/mrisr/weights/liif_smam_eem_x4.safetensors \
        checkpoints/cpu_liif_smam_eem_offdomain_distill2/last.pt checkpoints/cpu_liif_smam_eem_offdomain_distill4/last.pt \
        checkpoints/cpu_liif_smam_eem_offdomain_distill6/last.pt checkpoints/cpu_liif_smam_eem_offdomain_distill7/last.pt \
        checkpoints/cpu_liif_smam_eem_offdomain_distill9/last.pt src/mrisr/weights/liif_smam_eem_offdomain.safetensors \
        > study/experiments/offdomain_distill/oracle.txt
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "offdomain_render"))
from deconv_probe import IXI_X2, render, sweep  # noqa: E402

from mrisr.classical.operators import make_operator  # noqa: E402
from mrisr.metrics import psnr  # noqa: E402
from mrisr.models.checkpoint import load_model  # noqa: E402
from mrisr.train.data import load_stack  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default="../shared/data/ixi-t2-midslices")
    ap.add_argument("--weights", nargs="+", default=["src/mrisr/weights/liif_smam_eem_x4.safetensors",
                                                     "src/mrisr/weights/liif_smam_eem_offdomain.safetensors"])
    args = ap.parse_args()
    names, hr = load_stack(args.data, "val", 1)
    _, x2 = load_stack(args.data, "val", 2, names)
    _, x4 = load_stack(args.data, "val", 4, names)
    op = make_operator(IXI_X2, hr.shape[1:], x2.shape[1:])
    print(f"{len(names)} val images, 64 -> 256; PSNR (dB)")
    for w in args.weights:
        model, _ = load_model(w)
        out = render(model, x4, hr.shape[1:])
        own = np.mean([psnr(o, h) for o, h in zip(out, hr, strict=True)])
        degraded = np.mean([psnr(np.clip(op.forward(o) + op.bias, 0, 1), y) for o, y in zip(out, x2, strict=True)])
        print(f"{w}\n  rendering: {own:.3f}   its 2x degradation against the stored 128-px image: {degraded:.3f}")
        for mu, value in sweep(op, x2, out, hr, [1e-2, 1e-3, 1e-4]):
            print(f"  nearest image that reproduces the 128-px image, mu = {mu:g}: {value:.3f}")


if __name__ == "__main__":
    main()
