"""Control for ``liif-selfsup``: does starting from the shipped IXI weights matter, or is the volume enough?

Run from the repository root after ``run.py`` (same volume, same 4 mm box case, same defaults):

    python study/experiments/through_plane/selfsup_control.py > study/experiments/through_plane/control_selfsup.txt

The control starts from a randomly initialised model of the same architecture as ``liif-x4`` (seed 0; the
residual head starts at zero, so the starting output is bicubic interpolation) and is fine-tuned exactly like
``liif-selfsup``: 500 steps, the volume's own axial slices, no other data.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

import nibabel as nib
import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).parent))
from run import ground_truth, scores, thick  # noqa: E402

from mrisr import upscale_through_plane  # noqa: E402
from mrisr.models.checkpoint import WEIGHTS_FORMAT, load_model  # noqa: E402
from mrisr.models.registry import make_model  # noqa: E402
from mrisr.weights import entry_for, verified_path  # noqa: E402


def random_weights(path: Path) -> None:
    """A freshly initialised model with ``liif-x4``'s spec, as an mrisr weight file."""
    from safetensors.torch import save_file

    _, meta = load_model(verified_path(entry_for("liif-x4")))
    torch.manual_seed(0)
    model = make_model(meta["model_spec"])
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(path),
              metadata={"format": WEIGHTS_FORMAT, "model_spec": json.dumps(meta["model_spec"])})


def main() -> None:
    hr, lr = thick(ground_truth(), 4, "box", 1.0)
    img = nib.Nifti1Image(lr.astype(np.float32), np.diag([1.0, 1.0, 4.0, 1.0]))
    print("| factor | acquisition | start | steps | PSNR (dB) | PSNR head | SSIM 7u | s |")
    print("|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "random.safetensors"
        random_weights(path)
        for steps in (0, 500):
            t = time.perf_counter()
            out = upscale_through_plane(img, factor=4, method="liif-selfsup",
                                        params={"base": f"liif:{path}", "steps": steps}, progress=False)
            sec = time.perf_counter() - t
            p, ph, s = scores(np.asarray(out.dataobj, dtype=np.float64), hr)
            print(f"| 4 | box, 1 | random init | {steps} | {p:.2f} | {ph:.2f} | {s:.4f} | {sec:.0f} |", flush=True)


if __name__ == "__main__":
    main()
