"""Compare ``liif-blind`` between two runs of the same measurement (shipped against candidate).

``--families A B``: two ``mrisr families`` output folders (their ``per_image.csv``): mean per scale and family,
and the worst image against ``bicubic``. ``--tables A B``: two ``smooth_contrast_probe.py`` tables: the
``liif-blind`` column row by row, with the best classical method of ``A`` beside it, and how many rows rose.

    python study/scripts/compare_blind.py --families families_shipped families_candidate
    python study/scripts/compare_blind.py --tables smooth_1.0_before.md smooth_1.0_candidate.md
"""

from __future__ import annotations

import argparse
import csv
from collections import defaultdict

import numpy as np

CLASSICAL = ("bicubic", "zerofill", "elrtv")


def families(a: str, b: str) -> str:
    def load(folder: str) -> dict:
        rows: dict = defaultdict(dict)
        with open(f"{folder}/per_image.csv", newline="") as fh:
            for r in csv.DictReader(fh):
                rows[r["scale"], r["family"], r["method"]][r["image"]] = float(r["psnr"])
        return rows

    ra, rb = load(a), load(b)
    out = ["| scale | family | A | B | change | worst vs bicubic, A | B |", "|---|---|---|---|---|---|---|"]
    for s, fam, m in ra:
        if m != "liif-blind":
            continue
        xa, xb, bic = ra[s, fam, m], rb[s, fam, m], ra[s, fam, "bicubic"]
        ma, mb = np.mean(list(xa.values())), np.mean(list(xb.values()))
        wa, wb = (min(x[i] - bic[i] for i in x) for x in (xa, xb))
        out.append(f"| {s} | {fam} | {ma:.2f} | {mb:.2f} | {mb - ma:+.2f} | {wa:+.2f} | {wb:+.2f} |")
    return "\n".join(out)


def tables(a: str, b: str) -> str:
    def load(path: str) -> dict:
        with open(path, encoding="utf-8") as fh:
            lines = [ln.strip().strip("|").split("|") for ln in fh if ln.startswith("| ")]
        head = [h.strip() for h in lines[0]]
        return {tuple(c.strip() for c in ln[:3]): dict(zip(head, (c.strip() for c in ln), strict=True))
                for ln in lines[1:]}  # "|---|" rows do not start with "| "

    ta, tb = load(a), load(b)
    out = ["| scale | HR | LR made by | best classical (A) | A | B | change | worst vs bicubic, A | B |",
           "|---|---|---|---|---|---|---|---|---|"]
    up = down = 0
    for key, row in ta.items():
        if key not in tb:
            continue
        x, y = float(row["liif-blind"]), float(tb[key]["liif-blind"])
        best = max(float(row[m]) for m in CLASSICAL if m in row)
        up, down = up + (y > x), down + (y < x - 0.10)
        out.append(f"| {' | '.join(key)} | {best:.2f} | {x:.2f} | {y:.2f} | {y - x:+.2f} | "
                   f"{row['worst vs bicubic']} | {tb[key]['worst vs bicubic']} |")
    return "\n".join(out) + f"\n\nB higher in {up} of {len(out) - 2} rows; more than 0.10 dB lower in {down}."


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    group = ap.add_mutually_exclusive_group(required=True)
    group.add_argument("--families", nargs=2, metavar=("A", "B"))
    group.add_argument("--tables", nargs=2, metavar=("A", "B"))
    args = ap.parse_args()
    print(families(*args.families) if args.families else tables(*args.tables))


if __name__ == "__main__":
    main()
