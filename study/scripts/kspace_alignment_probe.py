"""The probe behind docs/blind.md's alignment figures: one LIIF model on val k-space (and Gaussian) inputs,
rendered as is and with its queries moved by (s - 1) / 2 HR pixels (the DFT grid), zero-filling beside it.

    python study/scripts/kspace_alignment_probe.py runs/liif_blind/best.pt   # stage 1 at step 2000

The argument is a ``.pt`` training checkpoint (its EMA weights when it has them) or shipped ``.safetensors``.
"""

from __future__ import annotations

import argparse

import numpy as np
import torch

from mrisr.data.datasets import list_images
from mrisr.data.degrade import lr_shape, parse_degradation
from mrisr.data.io import read_image
from mrisr.methods import make_method
from mrisr.metrics import psnr
from mrisr.models.checkpoint import load_model
from mrisr.models.coords import make_cell, make_coord

SPECS = ("kspace+quant:8", "gaussian+quant:8,floor")


def render(model, lr: np.ndarray, shape: tuple[int, int], shift: float) -> np.ndarray:
    """``model`` on ``lr`` at ``shape``, every query moved by ``shift`` HR pixels along both axes."""
    coord = make_coord(shape)[None] + shift * 2 / shape[0]
    cell = make_cell(shape, coord.shape[1])[None]
    with torch.no_grad():
        out = model(torch.from_numpy(lr)[None, None], coord, cell)
    return out[0, :, 0].reshape(shape).clamp(0, 1).numpy()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("weights")
    ap.add_argument("--data", default="../shared/data/ixi-t2-midslices")
    args = ap.parse_args()
    torch.set_num_threads(1)
    model, _ = load_model(args.weights)
    model.eval()
    files = list_images(f"{args.data}/val")
    for scale in (2, 4):
        zerofill = make_method("zerofill", scale=scale)
        for spec in SPECS:
            pipe = parse_degradation(spec)
            res: dict[str, list[float]] = {"zf": [], "plain": [], "shift": []}
            for i, f in enumerate(files):
                hr = read_image(f)
                lr = pipe(hr, lr_shape(hr.shape, scale), seed=i)
                res["plain"].append(psnr(render(model, lr, hr.shape, 0.0), hr))
                res["shift"].append(psnr(render(model, lr, hr.shape, (scale - 1) / 2), hr))
                res["zf"].append(psnr(zerofill(lr, hr.shape), hr))
            print(scale, spec, {k: round(float(np.mean(v)), 2) for k, v in res.items()}, flush=True)


if __name__ == "__main__":
    main()
