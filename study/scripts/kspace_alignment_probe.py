"""The probe behind docs/blind.md's alignment figures: one LIIF checkpoint on val k-space (and Gaussian) inputs,
rendered as is and with its queries moved by (s - 1) / 2 HR pixels (the DFT grid), zero-filling beside it.

    python study/scripts/kspace_alignment_probe.py runs/liif_blind/best.pt   # stage 1 at step 2000
"""
import sys, numpy as np, torch
torch.set_num_threads(1)
from mrisr.models.checkpoint import load_checkpoint
from mrisr.models.registry import make_model
from mrisr.models.coords import make_coord, make_cell
from mrisr.data.datasets import list_images
from mrisr.data.io import read_image
from mrisr.data.degrade import parse_degradation, lr_shape
from mrisr.methods import make_method
from mrisr.metrics import psnr
ck = load_checkpoint(sys.argv[1])
model = make_model(ck["model_spec"]); model.load_state_dict(ck.get("ema") or ck["model"]); model.eval()
files = list_images("../shared/data/ixi-t2-midslices/val")
for scale in (2, 4):
  for spec in ("kspace+quant:8", "gaussian+quant:8,floor"):
    pipe = parse_degradation(spec); zf = make_method("zerofill", scale=scale)
    res = {"zf": [], "plain": [], "shift": []}
    for i, f in enumerate(files):
        hr = read_image(f); lr = pipe(hr, lr_shape(hr.shape, scale), seed=i)
        x = torch.from_numpy(lr)[None, None]
        coord = make_coord(hr.shape)[None]; cell = make_cell(hr.shape, coord.shape[1])[None]
        with torch.no_grad():
            a = model(x, coord, cell)[0, :, 0].reshape(hr.shape).clamp(0, 1).numpy()
            d = (scale - 1) / 2 * 2 / hr.shape[0]
            b = model(x, coord + d, cell)[0, :, 0].reshape(hr.shape).clamp(0, 1).numpy()
        res["plain"].append(psnr(a, hr)); res["shift"].append(psnr(b, hr)); res["zf"].append(psnr(zf(lr, hr.shape), hr))
    print(scale, spec, {k: round(float(np.mean(v)), 2) for k, v in res.items()}, flush=True)
