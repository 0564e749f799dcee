"""How far a classical step gets the off-domain model: Tikhonov deconvolution of its 64 -> 128 rendering.

For each val image the model renders the 128-px grid it was trained on (y) and the 256-px grid (x0); the
estimate is ``argmin_x ||D x + b - y||^2 + mu ||x - x0||^2`` with IXI's 2x operator D (Gaussian sigma 1,
2x2 mean, floor bias b = -0.5/255), solved exactly (``SeparableOperator.fit_towards``). ``mu`` is swept on
val, so the best row is an optimistic reference, not a method.

    python study/experiments/offdomain_render/deconv_probe.py --weights src/mrisr/weights/liif_smam_eem_offdomain.safetensors
"""

from __future__ import annotations

import argparse

import numpy as np
import torch

from mrisr.classical.operators import make_operator
from mrisr.metrics import psnr
from mrisr.models.checkpoint import load_model
from mrisr.train.data import load_stack

#: IXI's documented 2x operator (REFERENCE.md): Gaussian sigma 1, 2x2 mean, floor to 8 bits
IXI_X2 = {"kind": "gaussian", "sigma": 1.0, "bias": -0.5 / 255}


def render(model: torch.nn.Module, lr: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """``model``'s renderings of the LR stack ``lr`` (n, h, w) at ``shape``, clipped to [0, 1], as float64."""
    with torch.no_grad():
        return model.upscale(torch.from_numpy(lr)[:, None], shape).clamp(0, 1)[:, 0].double().numpy()


def sweep(op, y: np.ndarray, x0: np.ndarray, hr: np.ndarray, mus: list[float]) -> list[tuple[float, float]]:
    """``(mu, mean PSNR against hr)`` of ``op.fit_towards(y, x0, mu)``, clipped to [0, 1], for each ``mu``."""
    return [(mu, float(np.mean([psnr(np.clip(op.fit_towards(a, b, mu), 0, 1), h)
                                for a, b, h in zip(y, x0, hr, strict=True)]))) for mu in mus]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--weights", required=True)
    ap.add_argument("--data", default="../shared/data/ixi-t2-midslices")
    ap.add_argument("--split", default="val")
    ap.add_argument("--mu", default="0.1,0.03,0.01,0.003,0.001")
    args = ap.parse_args()
    names, hr = load_stack(args.data, args.split, 1)
    _, x2 = load_stack(args.data, args.split, 2, names)
    _, x4 = load_stack(args.data, args.split, 4, names)
    model, _ = load_model(args.weights)
    x0, y = render(model, x4, hr.shape[1:]), render(model, x4, x2.shape[1:])
    op = make_operator(IXI_X2, hr.shape[1:], x2.shape[1:])
    print(f"{len(names)} {args.split} images; PSNR (dB) at 64 -> 256")
    print(f"  model at 256 px:            {np.mean([psnr(x0[i], hr[i]) for i in range(len(hr))]):.3f}")
    print(f"  model at 128 px vs x2:      {np.mean([psnr(y[i], x2[i]) for i in range(len(hr))]):.3f}")
    for mu, value in sweep(op, y, x0, hr, [float(m) for m in args.mu.split(",")]):
        print(f"  deconvolved, mu = {mu:<8g}  {value:.3f}")


if __name__ == "__main__":
    main()
