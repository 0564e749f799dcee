"""Self-ensembled renderings of a model as pseudo-HR targets (self-distillation data).

For each image of ``<data>/<split> x<scale>`` the model renders the ``scale``-times larger grid, averaged over
the 8 flips/transposes of the input (geometric self-ensemble); the result is written as a 16-bit PNG to
``<out>/<split>/`` and the LR file is linked into ``<out>/<split> x<scale>/``, so ``<out>`` is a data root of
stored pairs (``data.mode: stored``, ``pairs: [[scale, 1]]``). Only the LR images and the model are used: for
the off-domain model no 256-px image enters training this way. Images already written are kept (rerun to
resume).

    python scripts/make_teacher.py --weights src/mrisr/weights/liif_smam_eem_offdomain.safetensors \
        --out runs/teacher_offdomain
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
from tqdm import tqdm

from mrisr.data.datasets import list_images, lr_folder
from mrisr.data.io import read_image, write_image


def make_teacher(
    method: Callable[[np.ndarray, tuple[int, int]], np.ndarray],
    data: str | Path,
    out: str | Path,
    *,
    split: str = "train",
    scale: int = 4,
    limit: int | None = None,
    progress: bool = True,
) -> int:
    """Write ``method``'s renderings of ``<data>/<split> x<scale>`` as the HR side of a stored-pair root ``out``.

    Only the first ``limit`` images (by name) when given. Returns the number of images rendered in this call
    (those already present are skipped).
    """
    src = lr_folder(data, split, scale)
    hr_dir, lr_dir = Path(out) / split, lr_folder(out, split, scale)
    hr_dir.mkdir(parents=True, exist_ok=True)
    lr_dir.mkdir(parents=True, exist_ok=True)
    done = 0
    files = list_images(src)[:limit]
    for path in tqdm(files, desc="teacher", unit="image", disable=not progress):
        if not (hr_dir / path.name).exists():
            lr = read_image(path)
            write_image(hr_dir / path.name, method(lr, (lr.shape[0] * scale, lr.shape[1] * scale)), bits=16)
            done += 1
        if not (lr_dir / path.name).exists():
            os.symlink(path.resolve(), lr_dir / path.name)
    return done


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--weights", required=True, help=".safetensors weights or a .pt training checkpoint (EMA used)")
    ap.add_argument("--data", default="../shared/data/ixi-t2-midslices")
    ap.add_argument("--split", default="train")
    ap.add_argument("--scale", type=int, default=4)
    ap.add_argument("--out", required=True)
    ap.add_argument("--limit", type=int, help="only the first N images, by name")
    args = ap.parse_args()
    from mrisr.models.method import LIIFMethod

    method = LIIFMethod(args.weights, self_ensemble=True, batch_size=2)
    make_teacher(method, args.data, args.out, split=args.split, scale=args.scale, limit=args.limit)


if __name__ == "__main__":
    main()
