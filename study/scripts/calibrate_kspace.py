"""Fit mrisr.data.inspect.KSPACE_LOGIT: P(hard k-space cut | LR image) from the k-space margin.

Draws acquisitions from the blind-v1 prior on IXI *train* images (every 3rd, 4 draws each) at 2x and 4x,
reads each LR image's k-space margin (:func:`mrisr.data.inspect.kspace_margin`) and fits a one-feature
logistic regression (Newton's method) of "a k-space truncation with no window and no partial Fourier"
against "not a k-space truncation" (windowed k-space looks like a blur and is left out of the fit), and
prints its slope and intercept, and the intercept at even prior odds (plain k-space truncations are rare
under blind-v1). KSPACE_LOGIT holds the fitted intercept + 0.5: stepping towards even odds by 0.5 on the
16 images of ``mrisr families --holdout 10`` raised the k-space rows, and + 0.5 was the last step that
kept liif-blind within 0.5 dB of bicubic on every image of every family (docs/blind.md).

    python study/scripts/calibrate_kspace.py --data ../shared/data/ixi-t2-midslices
"""

from __future__ import annotations

import argparse

import numpy as np

from mrisr.data.blind import PRIORS
from mrisr.data.datasets import list_images
from mrisr.data.degrade import lr_shape, parse_degradation
from mrisr.data.inspect import estimate_degradation, kspace_margin
from mrisr.data.io import read_image


def fit_logistic(x: np.ndarray, y: np.ndarray, steps: int = 50) -> tuple[float, float]:
    """(a, b) maximising the likelihood of ``y ~ sigmoid(a x + b)`` (Newton's method, tiny ridge)."""
    w = np.zeros(2)
    X = np.stack([x, np.ones_like(x)], axis=1)
    for _ in range(steps):
        p = 1 / (1 + np.exp(-X @ w))
        grad = X.T @ (p - y) + 1e-3 * w
        hess = (X * (p * (1 - p))[:, None]).T @ X + 1e-3 * np.eye(2)
        w -= np.linalg.solve(hess, grad)
    return float(w[0]), float(w[1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True)
    args = ap.parse_args()
    prior = PRIORS.get("blind-v1")
    hrs = [read_image(f) for f in list_images(f"{args.data}/train")[::3]]
    for scale in (2, 4):
        rng = np.random.default_rng(scale)
        x, y = [], []
        for hr in hrs:
            for _ in range(4):
                d = prior.draw(rng, float(scale))
                plain = d.kspace and "window=none" in d.acquisition and "pf=" not in d.acquisition
                if d.kspace and not plain:
                    continue
                lr = parse_degradation(d.acquisition)(hr, lr_shape(hr.shape, scale), seed=rng)
                x.append(kspace_margin(estimate_degradation(lr, scale)))
                y.append(float(plain))
        x, y = np.clip(np.array(x), -30, 30), np.array(y)
        a, b = fit_logistic(x, y)
        p = 1 / (1 + np.exp(-(a * x + b)))
        even = b + np.log((1 - y).sum() / y.sum())  # the intercept at even prior odds
        print(f"{scale:.1f}: ({a:.4f}, {b:.4f}),  # at even odds {even:.4f}; "
              f"{int(y.sum())} k-space / {int((1 - y).sum())} other; "
              f"mean p: k-space {p[y == 1].mean():.2f}, other {p[y == 0].mean():.3f}; "
              f"p > 0.5: k-space {np.mean(p[y == 1] > 0.5):.2f}, other {np.mean(p[y == 0] > 0.5):.3f}")


if __name__ == "__main__":
    main()
