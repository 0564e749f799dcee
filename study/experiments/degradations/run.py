"""Which shipped method to use when the LR images were not made the way IXI's were.

Run from the repository root with the IXI data beside it:

    python study/experiments/degradations/run.py > study/experiments/degradations/results.txt

HR images: the 6 IXI val slices (T2) and 39 axial slices of nilearn's MNI152 T1 template (every 4th through the
brain, each scaled to a maximum of 1, as IXI's slices are). LR images: each of ``mrisr.data.degrade``'s
degradations (``gaussian``: blur sigma = scale / 2 HR pixels + area averaging, at 2x IXI's documented 2x
pipeline; ``bicubic``: anti-aliased bicubic; ``kspace``: central k-space truncation), quantised to 8 bits like
stored LR images; the stored IXI LR images as a fourth row for the val slices. Every method with its defaults
(intensity guard on); `zerofill` is k-space zero-padding, the scanner's interpolation. Mean PSNR dB / SSIM (7x7),
the best per row in bold.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from mrisr.data.datasets import load_pair, open_split
from mrisr.data.degrade import degrade
from mrisr.data.io import read_image
from mrisr.evaluation.runner import evaluate_images
from mrisr.methods import make_method

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "intensity"))
from run import mni_volume  # noqa: E402  (the same 39 slices as the intensity experiment)

DATA = Path("../shared/data/ixi-t2-midslices")
KINDS = ("gaussian", "bicubic", "kspace")
METHODS = {2: ("bicubic", "zerofill", "elrtv", "liif-x2", "liif-ms-x2"),
           4: ("bicubic", "zerofill", "elrtv", "liif-x4", "liif-ms-x4", "liif-offdomain-x4", "liif-x4-ens")}


def hr_sets() -> dict[str, list[tuple[str, np.ndarray]]]:
    pairs = open_split(DATA, "val", 2)
    ixi = [(p.name, read_image(p.hr_path)) for p in pairs]
    vol, _ = mni_volume()
    mni = [(f"mni{k}", (vol[..., k] / vol[..., k].max()).astype(np.float32)) for k in range(vol.shape[2])]
    return {"IXI val (T2)": ixi, "MNI152 (T1)": mni}


def main() -> None:
    print(f"# Degradations: `{' '.join(['python', *sys.argv])}`")
    sets = hr_sets()
    for scale in (2, 4):
        methods = {m: make_method(m, scale=scale) for m in METHODS[scale]}
        print(f"\n## {scale}x\n\n| images | LR made by | " + " | ".join(methods) + " |")
        print("|---|---|" + "---|" * len(methods))
        rows = []
        for label, images in sets.items():
            for kind in KINDS + (("stored",) if label.startswith("IXI") else ()):
                if kind == "stored":
                    triples = [(p.name, *load_pair(p, scale)) for p in open_split(DATA, "val", scale)]
                else:
                    triples = [(n, hr, degrade(hr, scale, kind=kind, quantise=True)) for n, hr in images]
                s = evaluate_images(triples, methods, total=len(triples), progress=False).summary()
                best = max(methods, key=lambda m: s[m]["psnr_mean"])
                cells = [f"{s[m]['psnr_mean']:.2f} / {s[m]['ssim_mean']:.4f}" for m in methods]
                cells = [f"**{c}**" if m == best else c for m, c in zip(methods, cells, strict=True)]
                rows.append(f"| {label} ({len(triples)}) | {kind} | " + " | ".join(cells) + " |")
                print(rows[-1], flush=True)


if __name__ == "__main__":
    main()
