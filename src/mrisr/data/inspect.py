"""Guess from an LR image alone how it was made: which resampling family, how much noise.

The estimate reads two spectral features and one noise level from the image
(plain NumPy, a few ms on a 256x256 image):

* ``slope_mid`` -- the mean power of the 1-D row and column spectra in
  0.30-0.38 cycles/pixel over that in 0.10-0.20, in dB;
* ``slope_top`` -- the power in 0.44-0.50 (up to Nyquist) over 0.30-0.38, in dB.

(each at least -12 dB: below that the band is lost in the noise and counts as fully rolled off).

A k-space truncation (a smaller acquisition matrix) keeps the spectrum as it was
up to Nyquist and cuts it there (flat top: ``slope_top`` near -3 dB); a Gaussian
blur rolls it off smoothly (about -9 dB); an anti-aliased bicubic resize lies in
between (-5.5 dB); a box (area) average aliases energy back near Nyquist. White
noise, estimated from the background (RMS of a 2x2 high-pass where the image is
dark, as Rayleigh noise there), is taken off the spectrum first, so a noisy
Gaussian-blurred image still reads as Gaussian.

Each family is a Gaussian in the feature plane (its mean and a pooled
covariance per scale), fitted by :func:`calibrate` on the 502 IXI *train* images
degraded with the registry's families (:mod:`mrisr.data.degrade`); the numbers
in :data:`CALIBRATION` came from ``python study/scripts/calibrate_inspect.py``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np

__all__ = ["CALIBRATION", "FAMILIES", "DegradationEstimate", "axial_power", "band_mean", "calibrate", "estimate_degradation",
           "fullest", "image_features", "noise_level", "signal_slices", "slice_estimates"]

#: the resampling families the estimate tells apart
FAMILIES = ("gaussian", "bicubic", "area", "kspace")

#: scale -> {"means": {resampling step: (slope_mid, slope_top)}, "cov": 2x2 pooled covariance}; a family's
#: score is that of its nearest step (``gaussian`` at its default sigma scale/2, and at sigma 1, IXI's own 4x
#: pipeline); written by study/scripts/calibrate_inspect.py (IXI train, with and without Rician noise)
CALIBRATION: dict[float, dict] = {
    2.0: {"means": {"gaussian": (-11.981, -10.049), "gaussian:sigma=1": (-11.981, -10.049),
                    "bicubic": (-8.815, -5.826), "area": (-8.356, -2.858), "kspace": (-7.41, -3.736)},
          "cov": ((0.3198, 0.0344), (0.0344, 1.6061))},
    4.0: {"means": {"gaussian": (-10.478, -9.596), "gaussian:sigma=1": (-7.13, -4.331),
                    "bicubic": (-6.183, -5.263), "area": (-5.833, -2.928), "kspace": (-4.913, -3.637)},
          "cov": ((0.9352, -0.1029), (-0.1029, 1.116))},
}

_BANDS = ((0.10, 0.20), (0.30, 0.38), (0.44, 0.501))
_DARK = 0.1           # background: 2x2 cells darker than this on average
_RAYLEIGH_SD = 0.655  # sd of Rayleigh noise / sigma of the underlying Gaussian
_RAYLEIGH_VAR = 0.43  # variance of Rayleigh noise / sigma^2
_FLOOR_DB = -12.0     # a band under the noise floor: as rolled off as a slope is read


@dataclass(frozen=True)
class DegradationEstimate:
    """What :func:`estimate_degradation` read from an image.

    Attributes
    ----------
    family : str
        The most likely resampling family (one of :data:`FAMILIES`), or
        ``'unknown'`` for an image too small or too flat to tell.
    scores : dict
        Family -> squared Mahalanobis distance of the features to its mean
        (smaller is closer).
    features : tuple of float
        ``(slope_mid, slope_top)`` in dB.
    noise : float
        Estimated noise sigma, in intensity units of the [0, 1] image.
    """

    family: str
    scores: Mapping[str, float]
    features: tuple[float, float]
    noise: float

    def margin(self, other: str) -> float:
        """How much farther ``other`` is than the chosen family (squared distance units; 0 if it is chosen)."""
        return float(self.scores.get(other, np.inf) - self.scores.get(self.family, 0.0))


def noise_level(image: np.ndarray) -> tuple[float, float]:
    """Noise sigma from the dark background, and the fraction of the image that is background.

    The robust (median absolute) spread of the 2x2 high-pass ``(a - b - c + d) / 2`` (unit gain for white
    noise) over cells that are dark on average, read as Rayleigh noise; with
    fewer than 200 dark cells, the median absolute high-pass of the whole image
    (a Gaussian-noise reading). Ringing and quantisation count as noise too;
    noise above about 0.05 reaches the dark threshold and is underestimated.
    """
    x = np.asarray(image, dtype=np.float64)
    cells = (x[1:, 1:], x[1:, :-1], x[:-1, 1:], x[:-1, :-1])
    d = (cells[0] - cells[1] - cells[2] + cells[3]) / 2.0
    dark = (cells[0] + cells[1] + cells[2] + cells[3]) / 4 < _DARK
    if dark.sum() < 200:
        return float(1.4826 * np.median(np.abs(d))), 0.0
    return float(1.4826 * np.median(np.abs(d[dark])) / _RAYLEIGH_SD), float(dark.mean())


def axial_power(x: np.ndarray) -> np.ndarray:
    """The mean row and column power spectra of a 2-D image, averaged on a common grid from 0 to Nyquist
    (``len`` the shorter axis' ``rfft`` length; sample ``i`` at ``i / (2 (len - 1))`` cycles/pixel)."""
    rows = (np.abs(np.fft.rfft(x, axis=1)) ** 2).mean(0)
    cols = (np.abs(np.fft.rfft(x, axis=0)) ** 2).mean(1)
    n = min(len(rows), len(cols))
    return (rows[np.linspace(0, len(rows) - 1, n).round().astype(int)]
            + cols[np.linspace(0, len(cols) - 1, n).round().astype(int)]) / 2


def fullest(stack: np.ndarray, count: int) -> list[int]:
    """Indices, ascending, of the ``count`` slices of an (N, H, W) stack with the largest standard deviation."""
    spread = [float(np.std(s, dtype=np.float64)) for s in stack]
    return sorted(int(i) for i in np.argsort(spread)[::-1][:count])


def band_mean(power: np.ndarray, lo: float, hi: float) -> float:
    """Mean of an :func:`axial_power` profile over ``[lo, hi)`` cycles/pixel; where a short profile (a small
    image) has no sample there, the profile interpolated at the band's centre."""
    f = np.arange(len(power)) / (2.0 * (len(power) - 1))
    inside = (f >= lo) & (f < hi)
    if not inside.any():
        return float(np.interp((lo + hi) / 2, f, power))
    return float(power[inside].mean())


def image_features(image: np.ndarray) -> tuple[tuple[float, float], float]:
    """``((slope_mid, slope_top), noise sigma)`` of a 2-D image in [0, 1].

    Raises
    ------
    ValueError
        Not a 2-D image of at least 16x16 pixels.
    """
    x = np.asarray(image, dtype=np.float64)
    if x.ndim != 2 or min(x.shape) < 16:
        raise ValueError(f"expected a 2-D image of at least 16x16 pixels, got shape {x.shape}")
    power = axial_power(x - x.mean())
    sigma, dark = noise_level(x)
    floor = sigma ** 2 * np.sqrt(x.shape[0] * x.shape[1]) * ((1 - dark) + _RAYLEIGH_VAR * dark)
    clean = np.maximum(power - floor, 1e-3 * power + 1e-30)
    low, mid, top = (band_mean(clean, lo, hi) for lo, hi in _BANDS)
    slopes = np.clip(10 * np.log10([mid / low, top / mid]), _FLOOR_DB, None)
    return (float(slopes[0]), float(slopes[1])), sigma


def signal_slices(lr: np.ndarray, count: int = 5, side: int = 512) -> list[np.ndarray]:
    """Up to ``count`` slices of an (N, H, W) stack with the most signal (a 2-D image: itself), each cut to
    its central ``side`` x ``side`` pixels at most (a large image is read on its centre, in bounded memory)."""
    x = np.asarray(lr)
    if x.ndim not in (2, 3):
        raise ValueError(f"expected (H, W) or (N, H, W) images, got shape {x.shape}")
    h, w = x.shape[-2:]
    top, left = max((h - side) // 2, 0), max((w - side) // 2, 0)
    x = x[..., top:top + side, left:left + side]
    if x.ndim == 2:
        return [x.astype(np.float64)]
    return [x[i].astype(np.float64) for i in fullest(x, count)]  # only the chosen slices are copied


def slice_estimates(lr: np.ndarray, scale: float) -> list[DegradationEstimate]:
    """:func:`estimate_degradation` of each of the :func:`signal_slices` of ``lr`` large enough to read (16 px)."""
    return [estimate_degradation(s, scale) for s in signal_slices(lr) if min(s.shape) >= 16]


def _calibration_for(scale: float, calibration: Mapping[float, dict]) -> dict:
    return calibration[min(calibration, key=lambda s: abs(np.log(s) - np.log(scale)))]


def estimate_degradation(image: np.ndarray, scale: float = 2.0, *,
                         calibration: Mapping[float, dict] | None = None) -> DegradationEstimate:
    """Which resampling family most likely made this LR image at ``scale``.

    Parameters
    ----------
    image : numpy.ndarray
        (H, W) LR image in [0, 1].
    scale : float, default 2
        The factor the image is meant to be upscaled by; the calibration of
        the nearest calibrated scale (2 or 4, in log terms) is used.
    calibration : mapping, optional
        Another calibration (as :func:`calibrate` returns); default
        :data:`CALIBRATION`.

    Returns
    -------
    DegradationEstimate
        ``family='unknown'`` for a flat image (no signal to read).

    Examples
    --------
    >>> import numpy as np
    >>> from mrisr.data import degrade
    >>> yy, xx = np.mgrid[:256, :256] / 256
    >>> hr = ((np.hypot(yy - .5, xx - .5) < .4) * (0.5 + 0.3 * np.sin(40 * xx * yy))).astype(float)
    >>> estimate_degradation(degrade(hr, 2, kind="gaussian+quant:8,floor"), 2).family
    'gaussian'
    >>> estimate_degradation(degrade(hr, 2, kind="gaussian+rician:0.02", seed=0), 2).noise  # doctest: +ELLIPSIS
    0.02...
    """
    x = np.asarray(image, dtype=np.float64)
    cal = _calibration_for(scale, CALIBRATION if calibration is None else calibration)
    if x.ndim == 2 and min(x.shape) >= 16 and float(x.std()) < 1e-4:
        return DegradationEstimate("unknown", {}, (float("nan"), float("nan")), 0.0)
    feats, sigma = image_features(x)
    inv = np.linalg.inv(np.asarray(cal["cov"], dtype=np.float64))
    scores: dict[str, float] = {}
    for label, mean in cal["means"].items():  # a label is a resampling step, e.g. 'gaussian:sigma=1'
        d = np.asarray(feats) - np.asarray(mean)
        fam = label.partition(":")[0]
        scores[fam] = min(scores.get(fam, np.inf), float(d @ inv @ d))
    return DegradationEstimate(min(scores, key=scores.get), scores, feats, sigma)


def calibrate(samples: Iterable[tuple[str, np.ndarray]]) -> dict:
    """Fit one scale's family means and pooled covariance from labelled LR images.

    Parameters
    ----------
    samples : iterable of (label, image)
        LR images, each labelled with the resampling step that made it (a
        family name, optionally with options: ``'gaussian:sigma=1'``).

    Returns
    -------
    dict
        ``{"means": {label: (slope_mid, slope_top)}, "cov": 2x2 tuple}``, one
        entry of :data:`CALIBRATION`.
    """
    feats: dict[str, list] = {}
    for fam, img in samples:
        feats.setdefault(fam, []).append(image_features(img)[0])
    means = {f: np.mean(v, axis=0) for f, v in feats.items()}
    resid = np.concatenate([np.asarray(v) - means[f] for f, v in feats.items()])
    cov = np.cov(resid.T)
    return {"means": {f: tuple(round(float(v), 3) for v in m) for f, m in means.items()},
            "cov": tuple(tuple(round(float(v), 4) for v in row) for row in cov)}
