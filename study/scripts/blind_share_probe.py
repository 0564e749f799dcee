"""How should liif-blind turn a reading into a rendering? PSNR and renderings per image for candidate rules.

``acquisition: auto`` reads the input (:func:`mrisr.data.acquisition.read_acquisition`) and renders it.
Each rendering costs one model run, and issue 25 allows 1.2x the time of ``liif-x2``. This renders every
image of the 16 of ``mrisr families --holdout 10`` (six families, 2x and 4x) each way once (as resized, as a
k-space cut with its consistency step, by the specialist), then scores what each rule would give:

- ``blend T``: every reading whose share is at least T, blended by share (else the likeliest);
- ``likeliest``: the likeliest reading only;
- ``noisy K``: the likeliest, except that an input whose noise reads above
  :data:`mrisr.data.acquisition.NOISY_INPUT` is a k-space cut from a k-space share of K up (the shipped rule,
  :meth:`mrisr.data.acquisition.Reading.rendering`, uses K = NOISY_KSPACE_SHARE).

Each cell: mean PSNR dB / the worst image against bicubic / mean renderings per image.

    python study/scripts/blind_share_probe.py --data ../shared/data/ixi-t2-midslices
"""

from __future__ import annotations

import argparse

import numpy as np

from mrisr.data.acquisition import NOISY_INPUT, read_acquisition
from mrisr.data.degrade import lr_shape, parse_degradation
from mrisr.data.io import read_image
from mrisr.methods import make_method
from mrisr.metrics import psnr
from mrisr.report.families import default_families, family_images


def blend(threshold: float):
    def rule(probs: dict[str, float], noise: float) -> dict[str, float]:
        kept = {k: v for k, v in probs.items() if v >= threshold} or {max(probs, key=probs.get): 1.0}
        total = sum(kept.values())
        return {k: v / total for k, v in kept.items()}
    return rule


def noisy(share: float):
    def rule(probs: dict[str, float], noise: float) -> dict[str, float]:
        if noise > NOISY_INPUT and probs["kspace"] >= share:
            return {"kspace": 1.0}
        return {max(probs, key=probs.get): 1.0}
    return rule


RULES = {"blend 0.02": blend(0.02), "blend 0.1": blend(0.1), "blend 0.3": blend(0.3), "likeliest": blend(1.01),
         "noisy 0.1": noisy(0.1), "noisy 0.15": noisy(0.15), "noisy 0.2": noisy(0.2), "noisy 0.3": noisy(0.3)}


def score_family(spec: str, scale: int, pairs, as_read, special, bicubic) -> dict[str, tuple[float, float, float]]:
    """Mean PSNR, worst image against bicubic and mean renderings of each rule on one family."""
    scores = {r: [] for r in RULES}
    counts = {r: [] for r in RULES}
    base = []
    for i, p in enumerate(pairs):
        hr = read_image(p.hr_path)
        lr = parse_degradation(spec)(hr, lr_shape(hr.shape, scale), seed=np.random.default_rng([0, i]))
        reading = read_acquisition(lr, scale)
        probs = {"resize": reading.probabilities["resize"], "kspace": reading.kspace, "study": reading.study}
        renders = {k: as_read[k](lr, hr.shape).astype(np.float64) for k in ("resize", "kspace")}
        renders["study"] = special(lr, hr.shape).astype(np.float64)
        base.append(psnr(bicubic(lr, hr.shape), hr))
        for name, rule in RULES.items():
            weights = rule(probs, reading.noise)
            out = sum(renders[k] * w for k, w in weights.items())
            scores[name].append(psnr(np.clip(out, 0, 1), hr))
            counts[name].append(len(weights))
    return {r: (np.mean(scores[r]), np.min(np.subtract(scores[r], base)), np.mean(counts[r])) for r in RULES}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True)
    args = ap.parse_args()
    pairs = family_images(args.data, "val", 10)
    print("| scale | family | " + " | ".join(RULES) + " |")
    print("|---|---|" + "---|" * len(RULES))
    for scale in (2, 4):
        as_read = {name: make_method("liif-blind", scale=scale, params={"acquisition": name})
                   for name in ("resize", "kspace")}
        special = make_method(f"liif-x{scale}", scale=scale)
        bicubic = make_method("bicubic", scale=scale)
        for family, spec in default_families(scale).items():
            cells = score_family(spec, scale, pairs, as_read, special, bicubic)
            print(f"| {scale} | {family} | " + " | ".join(
                f"{m:.2f} / {w:+.2f} / {n:.2f}" for m, w, n in cells.values()) + " |", flush=True)


if __name__ == "__main__":
    main()
