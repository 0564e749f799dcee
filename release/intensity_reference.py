"""Record where the shipped methods' training inputs lay in intensity (``mrisr.methods.intensity``).

The shipped methods (the LIIF weights, the ELRTV presets) were trained or tuned on the LR images of
``<data>/train x<s>``. For each scale this measures the 99.9th percentile of every such image and writes
its range (smallest to largest) and median to ``src/mrisr/methods/intensity_reference.json``, with this
command and the image count:

    python release/intensity_reference.py --data ../shared/data/ixi-t2-midslices

Weights trained on other LR images (e.g. k-space-truncated ones) get a reference of their own, written into
their ``index.json`` entry (``--stem``, the weight file's name without ``.safetensors``):

    python release/intensity_reference.py --data runs/ixi_kspace --stem liif_smam_eem_kspace_x2x4
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from pathlib import Path

from tqdm import tqdm

from mrisr._atomic import atomic_write_text
from mrisr.data.datasets import list_images, lr_folder
from mrisr.data.io import read_image
from mrisr.methods.intensity import IntensityRange

SRC = Path(__file__).resolve().parents[1] / "src" / "mrisr"
OUT = SRC / "methods" / "intensity_reference.json"
INDEX = SRC / "weights" / "index.json"


def reference(data: str | Path, scales: list[int], *, split: str = "train", percentile: float = 99.9,
              tail: float = 0.0, progress: bool = True) -> dict:
    """The reference record for ``scales``: per scale the range, the folder and the number of images."""
    record: dict = {"percentile": percentile, "tail": tail, "scales": {}}
    for s in scales:
        folder = lr_folder(data, split, s)
        files = list_images(folder)
        images = (read_image(p) for p in tqdm(files, desc=folder.name, unit="image", disable=not progress))
        rng = IntensityRange.measure(images, percentile=percentile, tail=tail)
        record["scales"][str(s)] = {"range": rng.to_dict(), "images": len(files), "folder": folder.name}
    return record


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default="../shared/data/ixi-t2-midslices")
    ap.add_argument("--scales", default="2,4")
    ap.add_argument("--out", default=str(OUT))
    ap.add_argument("--stem", help="record into this weight file's index.json entry instead")
    ap.add_argument("--index", default=str(INDEX), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    try:
        scales = [int(s) for s in args.scales.split(",")]
        record = reference(args.data, scales)
    except (OSError, ValueError) as e:  # missing or unreadable data: one line, no traceback
        raise SystemExit(f"intensity_reference: error: {e}") from None
    record = {"dataset": Path(args.data).name, "command": shlex.join(["python", *sys.argv]), **record}
    if args.stem:
        index = json.loads(Path(args.index).read_text(encoding="utf-8"))
        entries = [e for e in index.get("weights", []) if e["file"] == f"{args.stem}.safetensors"]
        if not entries:
            raise SystemExit(f"intensity_reference: error: {args.index}: no entry for {args.stem}.safetensors")
        entries[0]["intensity"] = record
        atomic_write_text(args.index, json.dumps(index, indent=2) + "\n")
        print(f"wrote the intensity reference of {args.stem} into {args.index}")
        return
    atomic_write_text(args.out, json.dumps(record, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
