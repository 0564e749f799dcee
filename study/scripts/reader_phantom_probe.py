"""liif-blind on images unlike IXI: phantoms (the test suite's two generators and Shepp-Logan), resized or k-space cut.

The acquisition reader was trained on IXI T2 slices and synthetic stand-ins (train_acquisition_reader.py).
This scores ``liif-blind`` (``acquisition: auto``, and told ``resize``), ``bicubic`` and ``zerofill`` on six
of each of the two phantom generators of ``tests/conftest.py`` and on six rotations of the Shepp-Logan phantom
(``skimage.data``, resized to 256 x 256), at 2x and 4x, with the mean k-space share the reader gives: mean
PSNR dB and the worst image against bicubic.

    PYTHONPATH=. python study/scripts/reader_phantom_probe.py
"""

from __future__ import annotations

import numpy as np

from mrisr.data import degrade
from mrisr.data.acquisition import read_acquisition
from mrisr.methods import make_method
from mrisr.metrics import psnr
from tests.conftest import phantom, textured_phantom


def shepp_logan(size: int = 256, *, seed: int = 0) -> np.ndarray:
    """The Shepp-Logan phantom turned by ``15 * seed`` degrees, resized (anti-aliased) to ``size`` x ``size``."""
    from scipy.ndimage import rotate
    from skimage.data import shepp_logan_phantom
    from skimage.transform import resize

    img = rotate(shepp_logan_phantom(), 15.0 * seed, reshape=False, order=0)
    return np.clip(resize(img, (size, size), order=1, anti_aliasing=True), 0, 1)


GENERATORS = {"textured_phantom": textured_phantom, "phantom": phantom, "Shepp-Logan": shepp_logan}
KINDS = ("bicubic+quant:8", "kspace+quant:8")
METHODS = {"bicubic": ("bicubic", None), "zerofill": ("zerofill", None), "liif-blind": ("liif-blind", None),
           "liif-blind, told resize": ("liif-blind", {"acquisition": "resize"})}


def main() -> None:
    print("| images | scale | LR made by | mean P(k-space) | " + " | ".join(f"`{m}`" for m in METHODS)
          + " | `liif-blind` worst vs bicubic |")
    print("|---|---|---|---|" + "---|" * len(METHODS) + "---|")
    for name, gen in GENERATORS.items():
        hrs = [gen(256, seed=i) for i in range(6)]
        for s in (2, 4):
            methods = {k: make_method(spec, scale=s, params=p) for k, (spec, p) in METHODS.items()}
            for kind in KINDS:
                lrs = [degrade(h, s, kind=kind, seed=0) for h in hrs]
                pk = np.mean([read_acquisition(lr, s).kspace for lr in lrs])
                res = {k: [psnr(np.clip(m(lr, h.shape), 0, 1), h) for lr, h in zip(lrs, hrs, strict=True)]
                       for k, m in methods.items()}
                worst = min(np.subtract(res["liif-blind"], res["bicubic"]))
                print(f"| {name} | {s} | `{kind}` | {pk:.2f} | "
                      + " | ".join(f"{np.mean(v):.2f}" for v in res.values()) + f" | {worst:+.2f} |", flush=True)


if __name__ == "__main__":
    main()
