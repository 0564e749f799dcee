"""Why the off-domain model may learn from pairs one level down (32 -> 128 px), measured without HR images.

1. Fits the kernel that maps the stored 128-px images (`train x2`) to the 64-px ones (`train x4`): no 256-px
   image is used. It comes out a 2x2 mean, so the 4x images are IXI's 2x operator followed by a 2x2 mean, i.e.
   a Gaussian of sigma 1 (finest-grid pixels) and a 4x4 mean; the same operator applied to a 128-px image gives
   a 4x pair one level down with the same degradation relative to its grid.
2. Checks that the composite of the two fitted steps equals ``{kind: gaussian, sigma: 1.0}`` at 128 -> 32.
3. Scale transfer the other way round, with a model that is allowed HR: the in-domain ``liif-x4`` (trained
   64 -> 256) applied one level down (32 -> 128 on val, targets `val x2`), against bicubic at both levels.

    python study/experiments/offdomain_render/self_similarity.py
"""

from __future__ import annotations

import argparse

import numpy as np

from mrisr.classical.kernel import estimate_kernel
from mrisr.classical.operators import make_operator
from mrisr.methods import make_method
from mrisr.metrics import psnr
from mrisr.train.data import load_stack, quantise


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default="../shared/data/ixi-t2-midslices")
    ap.add_argument("--fit-images", type=int, default=120)
    args = ap.parse_args()
    names, tx2 = load_stack(args.data, "train", 2)
    names, tx2 = names[: args.fit_images], tx2[: args.fit_images]
    _, tx4 = load_stack(args.data, "train", 4, names)
    k = estimate_kernel(list(tx2), list(tx4), 2, taps=8)
    print(f"1. train x2 -> train x4 ({len(names)} images), 8 taps, start {k.start}: rms {k.rms:.3f} grey levels, "
          f"{100 * k.exact:.1f} % of pixels exact")
    print("   rows   ", np.round(k.taps_h, 4).tolist())
    print("   columns", np.round(k.taps_w, 4).tolist())
    n, gauss_spec = 128, {"kind": "gaussian", "sigma": 1.0}
    ixi2x = make_operator(gauss_spec, (n, n), (n // 2, n // 2))  # 128 -> 64, as IXI's 2x operator
    comp = k.operator((n // 2, n // 2), (n // 4, n // 4)).rh @ ixi2x.rh  # then the fitted kernel: 128 -> 32
    gauss = make_operator(gauss_spec, (n, n), (n // 4, n // 4)).rh
    i = n // 8
    print(f"2. 128 -> 32, row {i}: IXI 2x operator then the fitted kernel vs gaussian(sigma 1) + 4x4 mean: "
          f"max tap difference {np.abs(comp[i] - gauss[i]).max():.4f} (largest tap {gauss[i].max():.4f})")
    vn, hr = load_stack(args.data, "val", 1)
    _, x2 = load_stack(args.data, "val", 2, vn)
    _, x4 = load_stack(args.data, "val", 4, vn)
    op = make_operator(gauss_spec, x2.shape[1:], (x2.shape[1] // 4, x2.shape[2] // 4))
    y32 = quantise(op.forward(x2.astype(np.float64)), "floor")
    bic, liif = make_method("bicubic", scale=4), make_method("liif-x4", scale=4)

    def mean_psnr(method, lr, ref):
        return np.mean([psnr(np.clip(method(a, ref.shape[1:]), 0, 1), b) for a, b in zip(lr, ref, strict=True)])

    print(f"3. val ({len(vn)} images), PSNR dB     bicubic   liif-x4   gain")
    for label, lr, ref in (("64 -> 256 (own level)", x4, hr), ("32 -> 128 (one down)", y32, x2)):
        b, m = mean_psnr(bic, lr, ref), mean_psnr(liif, lr, ref)
        print(f"   {label:<22} {b:8.3f}  {m:8.3f}  {m - b:+.3f}")


if __name__ == "__main__":
    main()
