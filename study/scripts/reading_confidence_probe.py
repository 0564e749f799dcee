"""Would a warning on an unsure acquisition reading catch `liif-blind`'s bad images, and how often would it cry wolf?

`liif-blind` reads each input (``mrisr.data.acquisition``) and renders it once, as the likelier of a resize and a
k-space cut. A wrong reading costs dB. This asks, image by image, whether the images it renders worse than bicubic
(by more than 0.5 dB, the issue's per-image bound) are the ones whose reading is unsure: for a threshold ``t``, an
image is flagged when the chosen reading has probability below ``t`` (the study's pipeline counted with the resize),
or, for a noisy input rendered as a cut, when P(k-space) is below ``t``. Images: the 16 of ``mrisr families
--holdout 10``, the six default families at 2x and 4x, as stored and under the other-contrast stand-in
(``remap:nonmonotone``), degraded exactly as ``mrisr families`` does; plus six of each of the test suite's two
phantom generators (``tests/conftest.py``; bicubic resize and k-space cut, 8-bit).

    PYTHONPATH=. python study/scripts/reading_confidence_probe.py --data ../shared/data/ixi-t2-midslices
"""

from __future__ import annotations

import argparse

import numpy as np

from mrisr.data import degrade
from mrisr.data.acquisition import read_acquisition
from mrisr.data.datasets import degraded_images
from mrisr.data.degrade import parse_degradation
from mrisr.methods import make_method
from mrisr.metrics import psnr
from mrisr.report.families import default_families, family_images

THRESHOLDS = (0.6, 0.7, 0.8, 0.9)
BAD = -0.5  # dB against bicubic


def confidence(reading, scale: float) -> float:
    """The probability of the rendering ``liif-blind`` picks (the study's pipeline counted as a resize)."""
    k = reading.kspace
    return k if reading.rendering(study=scale in (2.0, 4.0)) == "kspace" else 1.0 - k


def rows_for(images, scale: float, methods: dict, group: str) -> list[dict]:
    out = []
    for name, hr, lr in images:
        r = read_acquisition(lr, scale)
        gain = psnr(np.clip(methods["liif-blind"](lr, hr.shape), 0, 1), hr) - psnr(
            np.clip(methods["bicubic"](lr, hr.shape), 0, 1), hr)
        out.append({"group": group, "scale": scale, "image": name, "conf": confidence(r, scale), "gain": gain})
    return out


def main() -> None:
    from tests.conftest import phantom, textured_phantom

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True)
    ap.add_argument("--holdout", type=int, default=10)
    args = ap.parse_args()
    pairs = family_images(args.data, "val", args.holdout)
    rows = []
    for scale in (2.0, 4.0):
        methods = {k: make_method(k, scale=scale) for k in ("bicubic", "liif-blind")}
        for contrast, tag in (("", "IXI"), ("remap:nonmonotone", "IXI remapped")):
            for label, spec in default_families(scale).items():
                canon = str(parse_degradation(spec))
                rows += rows_for(degraded_images(pairs, scale, canon, seed=0, contrast=contrast), scale, methods,
                                 f"{tag}: {label}")
            print(f"{tag} x{scale:g}: done", flush=True)
        for gen in (phantom, textured_phantom):
            hrs = [gen(256, seed=i).astype(np.float64) for i in range(6)]
            for kind in ("bicubic+quant:8", "kspace+quant:8"):
                imgs = [(f"{gen.__name__}{i}", h, degrade(h, scale, kind=kind, seed=0)) for i, h in enumerate(hrs)]
                rows += rows_for(imgs, scale, methods, f"phantoms: {kind}")
    print(f"\n{len(rows)} images; bad: `liif-blind` more than {-BAD:g} dB below bicubic\n")
    print("| images | n | bad | " + " | ".join(f"flagged at {t:g} (bad among them)" for t in THRESHOLDS) + " |")
    print("|---|---|---|" + "---|" * len(THRESHOLDS))
    for group in ("IXI", "IXI remapped", "phantoms"):
        sel = [r for r in rows if r["group"].split(":")[0] == group]
        bad = [r for r in sel if r["gain"] < BAD]
        cells = []
        for t in THRESHOLDS:
            flagged = [r for r in sel if r["conf"] < t]
            cells.append(f"{len(flagged)} ({sum(r['gain'] < BAD for r in flagged)} of {len(bad)})")
        print(f"| {group} | {len(sel)} | {len(bad)} | " + " | ".join(cells) + " |")
    print("\nThe bad images:\n\n| images | scale | image | confidence | vs bicubic dB |\n|---|---|---|---|---|")
    for r in sorted((r for r in rows if r["gain"] < BAD), key=lambda r: r["gain"]):
        print(f"| {r['group']} | {r['scale']:g} | {r['image']} | {r['conf']:.2f} | {r['gain']:+.2f} |")


if __name__ == "__main__":
    main()
