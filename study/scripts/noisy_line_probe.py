"""How often does the noisy-input line put a noisy image on the wrong side? Readings only, many noise draws.

``Reading.rendering`` renders a noisy input (noise read above 0.012) as a k-space cut from a k-space share of
0.12 up. On the 16 images of ``mrisr families --holdout 10`` one noise draw per image decides whether a reader
passes; every reader retrained in ``study/experiments/reader_blur`` flipped one of the same noisy 4x cuts. This
reads each of the 16 images under ``--draws`` noise draws per level, for k-space cuts and for resizes (Gaussian,
bicubic), at 2x and 4x, and counts the renderings that are wrong for the family (a cut rendered as resized, a
resize rendered as a cut). No SR is run (about a minute per reader).

    python study/scripts/noisy_line_probe.py --data ../shared/data/ixi-t2-midslices
    python study/scripts/noisy_line_probe.py --data ... --reader CANDIDATE.safetensors
"""

from __future__ import annotations

import argparse

import numpy as np

from mrisr.data.acquisition import AcquisitionReader, default_reader, read_acquisition
from mrisr.data.degrade import lr_shape, parse_degradation
from mrisr.data.io import read_image
from mrisr.report.families import family_images

#: LR made by -> whether its right rendering is a k-space cut
KINDS = {"kspace": True, "gaussian": False, "bicubic": False}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True)
    ap.add_argument("--holdout", type=int, default=10)
    ap.add_argument("--reader", help="a candidate reader (.safetensors); default the shipped one")
    ap.add_argument("--draws", type=int, default=10, help="noise draws per image and level (default 10)")
    ap.add_argument("--levels", default="0.01,0.02,0.03", help="Rician sigmas")
    args = ap.parse_args()
    reader = AcquisitionReader.load(args.reader) if args.reader else default_reader()
    hrs = [read_image(p.hr_path).astype(np.float64) for p in family_images(args.data, "val", args.holdout)]
    print(f"reader: {args.reader or 'shipped'}; {len(hrs)} images x {args.draws} draws per cell; "
          "wrong = rendered the other way (study readings count as resized)\n")
    print("| scale | LR made by | Rician | wrong | of | images with any wrong draw | median P(k-space) |")
    print("|---|---|---|---|---|---|---|")
    for s in (2.0, 4.0):
        for kind, is_cut in KINDS.items():
            for level in (float(v) for v in args.levels.split(",")):
                made = parse_degradation(f"{kind}+rician:{level}+quant:8")
                wrong, shares, bad_images = 0, [], 0
                for i, hr in enumerate(hrs):
                    misses = 0
                    for d in range(args.draws):
                        lr = made(hr, lr_shape(hr.shape, s), seed=np.random.default_rng([i, d]))
                        r = read_acquisition(lr, s, reader)
                        shares.append(r.kspace)
                        misses += (r.rendering(study=False) == "kspace") != is_cut
                    wrong, bad_images = wrong + misses, bad_images + (misses > 0)
                print(f"| {s:g} | {kind} | {level:g} | {wrong} | {len(shares)} | {bad_images} | "
                      f"{np.median(shares):.2f} |", flush=True)


if __name__ == "__main__":
    main()
