"""Shared synthetic images for the classical tests."""

from __future__ import annotations

import numpy as np
import pytest


def band_limited(shape: tuple[int, int], cutoff: float, seed: int = 0) -> np.ndarray:
    """Random image in [0.1, 0.9] whose spectrum is zero above ``cutoff`` cycles/pixel."""
    rng = np.random.default_rng(seed)
    spec = np.fft.fft2(rng.standard_normal(shape))
    fy, fx = np.meshgrid(np.fft.fftfreq(shape[0]), np.fft.fftfreq(shape[1]), indexing="ij")
    spec[np.hypot(fy, fx) > cutoff] = 0
    img = np.fft.ifft2(spec).real
    img = (img - img.min()) / (img.max() - img.min())
    return 0.1 + 0.8 * img


def phantom(n: int = 48, seed: int = 1) -> np.ndarray:
    """Piecewise-constant discs and squares on a zero background, smoothed slightly."""
    from scipy import ndimage

    rng = np.random.default_rng(seed)
    img = np.zeros((n, n))
    yy, xx = np.mgrid[:n, :n]
    img[(yy - n / 2) ** 2 + (xx - n / 2) ** 2 < (0.4 * n) ** 2] = 0.5
    for _ in range(5):
        cy, cx, r = rng.uniform(0.3 * n, 0.7 * n, 2).tolist() + [rng.uniform(2, 0.12 * n)]
        img[(yy - cy) ** 2 + (xx - cx) ** 2 < r * r] = rng.uniform(0.2, 1.0)
    return ndimage.gaussian_filter(img, 0.7)


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(1234)
