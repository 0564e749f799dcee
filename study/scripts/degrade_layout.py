"""Remake a study-layout data root's LR images with another degradation (e.g. k-space truncation).

For each split and scale, every HR image of ``<data>/<split>`` is degraded as a whole image (``kspace``: the
central block of its 2-D spectrum, as a scan with a smaller acquisition matrix; or any other name in
``mrisr.data.degrade.DEGRADATIONS``), quantised to 8 bits and written as ``<out>/<split> x<s>/<name>`` (same file name and format); the HR
images are linked into ``<out>/<split>/``. The result is a data root for ``mrisr train`` (``data.mode: stored``)
and ``mrisr evaluate``. Images already written are kept (rerun to resume).

    python study/scripts/degrade_layout.py --data ../shared/data/ixi-t2-midslices --kind kspace --out runs/ixi_kspace
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from tqdm import tqdm

from mrisr.data.datasets import list_images, lr_folder
from mrisr.data.degrade import DEGRADATIONS, degrade
from mrisr.data.io import read_image, write_image


def degrade_layout(data: str | Path, out: str | Path, *, kind: str, splits: list[str], scales: list[int],
                   progress: bool = True) -> int:
    """Write the LR folders of ``splits`` x ``scales`` made by ``kind``; return the number of images written."""
    DEGRADATIONS.get(kind)  # unknown kind: one error before anything is written
    done = 0
    for split in splits:
        files = list_images(Path(data) / split)
        hr_dir = Path(out) / split
        hr_dir.mkdir(parents=True, exist_ok=True)
        for s in scales:
            lr_dir = lr_folder(out, split, s)
            lr_dir.mkdir(parents=True, exist_ok=True)
            for path in tqdm(files, desc=f"{split} x{s}", unit="image", disable=not progress):
                target = lr_dir / path.name
                if not target.exists():
                    write_image(target, degrade(read_image(path), s, kind=kind), bits=8)
                    done += 1
        for path in files:
            link = hr_dir / path.name
            if not os.path.lexists(link):
                os.symlink(path.resolve(), link)
    return done


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default="../shared/data/ixi-t2-midslices")
    ap.add_argument("--kind", default="kspace", help="degradation name (default kspace)")
    ap.add_argument("--splits", default="train,val")
    ap.add_argument("--scales", default="2,4")
    ap.add_argument("--out", required=True)
    args = ap.parse_args(argv)
    try:
        n = degrade_layout(args.data, args.out, kind=args.kind, splits=args.splits.split(","),
                           scales=[int(s) for s in args.scales.split(",")])
    except (OSError, ValueError) as e:  # missing data, unknown degradation: one line, no traceback
        raise SystemExit(f"degrade_layout: error: {e}") from None
    print(f"wrote {n} LR images under {args.out}")


if __name__ == "__main__":
    main()
