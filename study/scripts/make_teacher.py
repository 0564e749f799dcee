"""Renderings of a model as pseudo-HR targets (self-distillation data).

For each image of ``<data>/<split> x<from>`` (``--from-scale``, default ``--scale``) the model renders the
``from``-times larger grid, averaged over the 8 flips/transposes of the input (geometric self-ensemble;
``--single-pass``: one rendering, 8 times faster). The result is written as a 16-bit PNG to ``<out>/<split>/``
and the file of the same name in ``<data>/<split> x<scale>`` is linked into ``<out>/<split> x<scale>/``, so
``<out>`` is a data root of stored pairs (``data.mode: stored``, ``pairs: [[scale, 1]]``). With
``--from-scale 2 --scale 4`` the targets of the 64-px inputs are rendered from the 128-px images of the same
slices. Only LR images and the model are used: for the off-domain model no 256-px image enters training this
way. Images already written are kept (rerun to resume).

    python study/scripts/make_teacher.py --weights src/mrisr/weights/liif_smam_eem_offdomain.safetensors \
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
    from_scale: int | None = None,
    limit: int | None = None,
    progress: bool = True,
) -> int:
    """Write ``method``'s renderings of ``<data>/<split> x<from_scale>`` as the HR side of a stored-pair root ``out``
    whose LR side is ``<data>/<split> x<scale>`` (linked).

    ``from_scale`` defaults to ``scale``. Only the first ``limit`` images (by name) when given. Returns the number
    of images rendered in this call (those already present are skipped). Links left broken by moved data are
    replaced.
    """
    from_scale = scale if from_scale is None else from_scale
    src, lr_src = lr_folder(data, split, from_scale), lr_folder(data, split, scale)
    hr_dir, lr_dir = Path(out) / split, lr_folder(out, split, scale)
    files = list_images(src)[:limit]
    missing = [p.name for p in files if not (lr_src / p.name).is_file()]
    if missing:
        more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
        raise FileNotFoundError(f"{lr_src}: no {missing[0]}{more} to pair with {src}")
    hr_dir.mkdir(parents=True, exist_ok=True)
    lr_dir.mkdir(parents=True, exist_ok=True)
    done = 0
    for path in tqdm(files, desc="teacher", unit="image", disable=not progress):
        if not (hr_dir / path.name).exists():
            x = read_image(path)
            write_image(hr_dir / path.name, method(x, (x.shape[0] * from_scale, x.shape[1] * from_scale)), bits=16)
            done += 1
        link, target = lr_dir / path.name, (lr_src / path.name).resolve()
        if os.path.lexists(link) and not (link.is_symlink() and link.resolve() == target):
            link.unlink()  # broken (the data moved) or pointing elsewhere
        if not os.path.lexists(link):
            os.symlink(target, link)
    return done


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--weights", required=True, help=".safetensors weights or a .pt training checkpoint (EMA used)")
    ap.add_argument("--data", default="../shared/data/ixi-t2-midslices")
    ap.add_argument("--split", default="train")
    ap.add_argument("--scale", type=int, default=4, help="the LR side of the pairs: <split> x<scale>")
    ap.add_argument("--from-scale", type=int, help="render from <split> x<from-scale> (default: --scale)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--limit", type=int, help="only the first N images, by name")
    ap.add_argument("--single-pass", action="store_true", help="no self-ensemble (8 times faster)")
    args = ap.parse_args()
    from mrisr.models.method import LIIFMethod

    try:
        method = LIIFMethod(args.weights, self_ensemble=not args.single_pass, batch_size=2)
        make_teacher(method, args.data, args.out, split=args.split, scale=args.scale,
                     from_scale=args.from_scale, limit=args.limit)
    except (OSError, ValueError) as e:  # missing folders or files, unreadable weights: one line, no traceback
        raise SystemExit(f"make_teacher: error: {e}") from None


if __name__ == "__main__":
    main()
