"""PSNR and SSIM.

References
----------
Z. Wang, A. C. Bovik, H. R. Sheikh, E. P. Simoncelli, "Image quality assessment:
from error visibility to structural similarity", IEEE TIP 13(4), 2004.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import ndimage

SSIM_WINDOWS = ("uniform7", "gaussian11")


def _check_pair(sr: np.ndarray, hr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    sr = np.asarray(sr, dtype=np.float64)
    hr = np.asarray(hr, dtype=np.float64)
    if sr.shape != hr.shape:
        raise ValueError(f"image shapes differ: {sr.shape} vs {hr.shape}")
    if sr.ndim != 2:
        raise ValueError(f"expected 2-D images, got shape {sr.shape}")
    return sr, hr


def shave_border(image: np.ndarray, shave: int) -> np.ndarray:
    """Drop ``shave`` pixels from every edge of the last two axes."""
    if shave < 0:
        raise ValueError(f"shave must be >= 0, got {shave}")
    return image if shave == 0 else image[..., shave:-shave, shave:-shave]


def foreground_mask(hr: np.ndarray, *, threshold: float = 0.0, dilate: int = 2) -> np.ndarray:
    """Boolean mask of the object: ``hr > threshold``, dilated by ``dilate`` pixels.

    The IXI slices have a masked background (about 40 % of pixels exactly 0),
    so PSNR over the whole image flatters every method; PSNR inside this mask
    does not.
    """
    mask = np.asarray(hr) > threshold
    if dilate > 0:
        mask = ndimage.binary_dilation(mask, iterations=dilate)
    return mask


def psnr(
    sr: np.ndarray,
    hr: np.ndarray,
    *,
    data_range: float = 1.0,
    shave: int = 0,
    mask: np.ndarray | None = None,
) -> float:
    """Peak signal-to-noise ratio in dB.

    Parameters
    ----------
    sr, hr : numpy.ndarray
        Estimate and reference, same (H, W) shape.
    data_range : float, default 1.0
        Peak value (1.0 for images in [0, 1]).
    shave : int, default 0
        Border pixels excluded on each side.
    mask : numpy.ndarray of bool, optional
        Only pixels where ``mask`` is true are counted.

    Returns
    -------
    float
        ``10 log10(data_range**2 / MSE)``; ``inf`` for identical images.
    """
    sr, hr = _check_pair(sr, hr)
    diff = shave_border(sr - hr, shave)
    if mask is not None:
        m = shave_border(np.asarray(mask, dtype=bool), shave)
        if m.shape != diff.shape:
            raise ValueError(f"mask shape {np.shape(mask)} does not match images {sr.shape}")
        if not m.any():
            raise ValueError("mask selects no pixels")
        diff = diff[m]
    mse = float(np.mean(diff * diff))
    if mse == 0.0:
        return math.inf
    return 10.0 * math.log10(data_range**2 / mse)


def ssim(
    sr: np.ndarray,
    hr: np.ndarray,
    *,
    window: str = "uniform7",
    data_range: float = 1.0,
    shave: int = 0,
    k1: float = 0.01,
    k2: float = 0.03,
) -> float:
    """Mean structural similarity index.

    Parameters
    ----------
    sr, hr : numpy.ndarray
        Estimate and reference, same (H, W) shape.
    window : {'uniform7', 'gaussian11'}
        ``'uniform7'``: 7x7 box window with sample covariance (scikit-image's
        default). ``'gaussian11'``: Gaussian weights with sigma 1.5 truncated at
        3.5 sigma (11x11), population covariance, as in Wang et al. (2004).
    data_range : float, default 1.0
        Dynamic range of the images.
    shave : int, default 0
        Border pixels excluded on each side before computing.
    k1, k2 : float
        Stability constants.

    Returns
    -------
    float
        Mean SSIM over the valid (window-interior) region.

    Notes
    -----
    Filtering uses mirror ('reflect') borders and the mean excludes a border
    of half the window, matching ``skimage.metrics.structural_similarity``.
    """
    sr, hr = _check_pair(sr, hr)
    sr, hr = shave_border(sr, shave), shave_border(hr, shave)
    if window == "uniform7":
        win, filt = 7, lambda z: ndimage.uniform_filter(z, size=7, mode="reflect")
        npix = win * win
        cov_norm = npix / (npix - 1)
    elif window == "gaussian11":
        win, filt = 11, lambda z: ndimage.gaussian_filter(z, sigma=1.5, truncate=3.5, mode="reflect")
        cov_norm = 1.0
    else:
        raise ValueError(f"unknown SSIM window {window!r} (options: {', '.join(SSIM_WINDOWS)})")
    if min(sr.shape) < win:
        raise ValueError(f"images of shape {sr.shape} are smaller than the {win}x{win} SSIM window")
    ux, uy = filt(sr), filt(hr)
    vx = cov_norm * (filt(sr * sr) - ux * ux)
    vy = cov_norm * (filt(hr * hr) - uy * uy)
    vxy = cov_norm * (filt(sr * hr) - ux * uy)
    c1, c2 = (k1 * data_range) ** 2, (k2 * data_range) ** 2
    s = ((2 * ux * uy + c1) * (2 * vxy + c2)) / ((ux * ux + uy * uy + c1) * (vx + vy + c2))
    pad = (win - 1) // 2
    return float(s[pad:-pad, pad:-pad].mean())


def image_metrics(sr: np.ndarray, hr: np.ndarray, *, shave: int = 0) -> dict[str, float]:
    """All per-image metrics used in tables.

    Returns
    -------
    dict
        ``psnr`` (whole image), ``psnr_fg`` (foreground mask of ``hr``),
        ``ssim`` (7x7 uniform), ``ssim_g`` (11x11 Gaussian).
    """
    sr = np.clip(np.asarray(sr, dtype=np.float64), 0.0, 1.0)
    fg = foreground_mask(hr)
    return {
        "psnr": psnr(sr, hr, shave=shave),
        "psnr_fg": psnr(sr, hr, shave=shave, mask=fg) if fg.any() else math.nan,
        "ssim": ssim(sr, hr, window="uniform7", shave=shave),
        "ssim_g": ssim(sr, hr, window="gaussian11", shave=shave),
    }


def summarise(values: list[float] | np.ndarray) -> tuple[float, float]:
    """Mean and sample standard deviation, ignoring NaN (``sd`` is 0 for one value)."""
    v = np.asarray(values, dtype=np.float64)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return math.nan, math.nan
    return float(v.mean()), float(v.std(ddof=1)) if v.size > 1 else 0.0
