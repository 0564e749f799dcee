"""Resampling degradations: HR image (..., H, W) -> LR image (..., h, w).

Each family has a frozen, validated config dataclass and an image function
``fn(x, out_shape, cfg)``; the linear, separable ones also have a matrices
function ``fn(hr_shape, lr_shape, cfg) -> (R_h, R_w, label, info)`` (the operator
ELRTV inverts, :mod:`mrisr.classical.operators`). They are registered under one
name each in :data:`mrisr.data.degrade.DEGRADATIONS`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import ndimage

from mrisr.data.matrices import PROFILES, area_matrix, gaussian_matrix, profile_matrix, taps_matrix
from mrisr.data.resize import resize, resize_matrix
from mrisr.registry import Registry

Matrices = tuple[np.ndarray, np.ndarray, str, dict[str, Any]]

WINDOWS = ("none", "hann", "hamming", "tukey")


def check_choice(label: str, value: str, options: tuple[str, ...]) -> None:
    """Raise ``ValueError`` naming the closest of ``options`` unless ``value`` is one of them."""
    if value not in options:
        known: Registry[str] = Registry(label)
        for o in options:
            known.register(o, o)
        known.get(value)  # raises with the closest spelling


def check_range(label: str, value: float, *, low: float = 0.0, high: float = np.inf, zero: bool = False) -> float:
    """``float(value)`` if finite and in ``(low, high]`` (``[low, high]`` with ``zero``), else ``ValueError``."""
    v = float(value)
    ok = (low <= v if zero else low < v) and v <= high
    if not (np.isfinite(v) and ok):
        rng = f"{'>=' if zero else '>'} {low:g}" + (f" and <= {high:g}" if np.isfinite(high) else "")
        raise ValueError(f"{label} must be {rng}, got {value!r}")
    return v


def _pair(label: str, value: Any, *, zero: bool = True) -> tuple[float, float]:
    """A scalar or a (rows, cols) pair of non-negative numbers."""
    vals = tuple(value) if isinstance(value, list | tuple) else (value, value)
    if len(vals) != 2:
        raise ValueError(f"{label} must be one number or two (rows/cols), got {value!r}")
    return tuple(check_range(label, v, zero=zero) for v in vals)  # type: ignore[return-value]


def _separable(x: np.ndarray, rh: np.ndarray, rw: np.ndarray) -> np.ndarray:
    return (rh @ np.asarray(x, dtype=np.float64) @ rw.T).astype(np.float32)


# --- Gaussian blur + area average ------------------------------------------------------------


@dataclass(frozen=True)
class GaussianConfig:
    """Gaussian blur of ``sigma`` HR pixels (one number, or rows/cols), then area averaging.

    ``None`` (default) is ``scale / 2`` per axis, the IXI pipeline's sigma of 1 at 2x.
    """

    sigma: float | tuple[float, float] | None = None

    def __post_init__(self) -> None:
        if self.sigma is not None:
            s = _pair("gaussian sigma", self.sigma)
            object.__setattr__(self, "sigma", s[0] if s[0] == s[1] else s)

    def sigmas(self, default: float) -> tuple[float, float]:
        """``(sigma_rows, sigma_cols)`` with ``default`` for ``None``."""
        return _pair("gaussian sigma", default if self.sigma is None else self.sigma)


def gaussian_image(x: np.ndarray, out_shape: tuple[int, int], cfg: GaussianConfig) -> np.ndarray:
    """Blur with ``scipy.ndimage.gaussian_filter`` (reflecting borders), then area-average to ``out_shape``."""
    x = np.asarray(x, dtype=np.float64)
    sh, sw = cfg.sigmas(0.5 * x.shape[-2] / out_shape[0])
    blurred = ndimage.gaussian_filter(x, sigma=(0,) * (x.ndim - 2) + (sh, sw), mode="reflect")
    return area_downscale(blurred, out_shape)


def gaussian_matrices(hr_shape: tuple[int, int], lr_shape: tuple[int, int], cfg: GaussianConfig) -> Matrices:
    (h, w), (lh, lw) = hr_shape, lr_shape
    sh, sw = cfg.sigmas(0.5 * h / lh)
    rh = area_matrix(h, lh) @ gaussian_matrix(h, sh)
    rw = area_matrix(w, lw) @ gaussian_matrix(w, sw)
    if sh == sw:
        return rh, rw, f"gaussian(sigma={sh:g})", {"sigma": sh}
    return rh, rw, f"gaussian(sigma={sh:g}/{sw:g})", {"sigma": [sh, sw]}


# --- box / area ------------------------------------------------------------------------------


@dataclass(frozen=True)
class NoOptions:
    """A family without options."""


def area_downscale(image: np.ndarray, out_shape: tuple[int, int]) -> np.ndarray:
    """Box-average ``image`` (..., H, W) onto an ``out_shape`` grid (keeps the mean, any ratio)."""
    x = np.asarray(image, dtype=np.float64)
    rh = area_matrix(x.shape[-2], int(out_shape[0]))
    rw = area_matrix(x.shape[-1], int(out_shape[1]))
    return (rh @ x @ rw.T).astype(np.float32)


def area_image(x: np.ndarray, out_shape: tuple[int, int], cfg: NoOptions) -> np.ndarray:
    """Area (box) average onto the ``out_shape`` grid."""
    return area_downscale(x, out_shape)


def area_matrices(hr_shape: tuple[int, int], lr_shape: tuple[int, int], cfg: NoOptions) -> Matrices:
    return area_matrix(hr_shape[0], lr_shape[0]), area_matrix(hr_shape[1], lr_shape[1]), "area", {}


# --- anti-aliased interpolating resizes ------------------------------------------------------


def bicubic_image(x: np.ndarray, out_shape: tuple[int, int], cfg: NoOptions) -> np.ndarray:
    """Anti-aliased bicubic downscaling (MATLAB ``imresize`` style, Keys ``a = -0.75``)."""
    return resize(x, out_shape, kernel="bicubic", antialias=True)


def bicubic_matrices(hr_shape: tuple[int, int], lr_shape: tuple[int, int], cfg: NoOptions) -> Matrices:
    rh = resize_matrix(hr_shape[0], lr_shape[0], kernel="bicubic", antialias=True)
    rw = resize_matrix(hr_shape[1], lr_shape[1], kernel="bicubic", antialias=True)
    return rh, rw, "bicubic", {}


@dataclass(frozen=True)
class LanczosConfig:
    """Anti-aliased Lanczos resize with 2 or 3 lobes (3: PIL ``LANCZOS``)."""

    lobes: int = 3

    def __post_init__(self) -> None:
        if self.lobes not in (2, 3):
            raise ValueError(f"lanczos lobes must be 2 or 3, got {self.lobes!r}")
        object.__setattr__(self, "lobes", int(self.lobes))


def lanczos_image(x: np.ndarray, out_shape: tuple[int, int], cfg: LanczosConfig) -> np.ndarray:
    """Anti-aliased Lanczos downscaling (the kernel stretched by the scale)."""
    return resize(x, out_shape, kernel=f"lanczos{cfg.lobes}", antialias=True)


def lanczos_matrices(hr_shape: tuple[int, int], lr_shape: tuple[int, int], cfg: LanczosConfig) -> Matrices:
    k = f"lanczos{cfg.lobes}"
    rh = resize_matrix(hr_shape[0], lr_shape[0], kernel=k, antialias=True)
    rw = resize_matrix(hr_shape[1], lr_shape[1], kernel=k, antialias=True)
    return rh, rw, k, {"lobes": cfg.lobes}


# --- k-space truncation ----------------------------------------------------------------------


@dataclass(frozen=True)
class KspaceConfig:
    """Keep the central ``out_shape`` block of the 2-D spectrum (a smaller acquisition matrix).

    Attributes
    ----------
    window : {'none', 'hann', 'hamming', 'tukey'}
        Apodisation of the kept block, 1 at the centre frequency (so the mean is kept).
    alpha : float
        Tukey taper fraction (0: none, 1: Hann).
    pf : float
        Partial Fourier: the fraction of the kept lines that is acquired along
        ``pf_axis`` (0.5 to 1); the first ``round((1 - pf) * n)`` lines (negative
        frequencies) are zero. With ``pf < 1`` the image is the magnitude of the
        zero-filled reconstruction, as a scanner without homodyne shows it;
        otherwise the real part.
    pf_axis : int
        0: rows (the vertical axis, H), 1: columns.
    """

    window: str = "none"
    alpha: float = 0.5
    pf: float = 1.0
    pf_axis: int = 0

    def __post_init__(self) -> None:
        check_choice("k-space window", str(self.window), WINDOWS)
        check_range("k-space tukey alpha", self.alpha, high=1.0, zero=True)
        check_range("k-space partial Fourier fraction pf", self.pf, low=0.5, high=1.0, zero=True)
        if self.pf_axis not in (0, 1):
            raise ValueError(f"k-space pf_axis must be 0 (rows) or 1 (columns), got {self.pf_axis!r}")
        object.__setattr__(self, "pf_axis", int(self.pf_axis))


def _centre_start(n: int, m: int) -> int:
    """First index of the central ``m`` frequencies of an fftshift-ed axis of length ``n``.

    Keeps the zero frequency (index ``n // 2`` after ``fftshift``) at index
    ``m // 2`` of the kept block, which is where ``ifftshift`` expects it.
    """
    return n // 2 - m // 2


def kspace_window(m: int, cfg: KspaceConfig) -> np.ndarray:
    """Window over ``m`` fftshift-ed frequencies: 1 at the zero frequency (index ``m // 2``), tapering outwards."""
    t = np.abs(np.arange(m) - m // 2) / max(m / 2, 1.0)  # 0 at DC, 1 at the Nyquist edge
    if cfg.window == "hann":
        return 0.5 * (1.0 + np.cos(np.pi * t))
    if cfg.window == "hamming":
        return 0.54 + 0.46 * np.cos(np.pi * t)
    if cfg.window == "tukey" and cfg.alpha > 0:
        edge = np.clip((t - (1.0 - cfg.alpha)) / cfg.alpha, 0.0, 1.0)
        return 0.5 * (1.0 + np.cos(np.pi * edge))
    return np.ones(m)


def kspace_weights(shape: tuple[int, int], cfg: KspaceConfig) -> np.ndarray:
    """(h, w) weights on the kept (fftshift-ed) block: window times the partial-Fourier mask."""
    wins = [kspace_window(int(n), cfg) for n in shape]
    n = int(shape[cfg.pf_axis])
    wins[cfg.pf_axis][: int(round((1.0 - cfg.pf) * n))] = 0.0
    return np.outer(wins[0], wins[1])


def kspace_image(x: np.ndarray, out_shape: tuple[int, int], cfg: KspaceConfig) -> np.ndarray:
    """Truncate (and window) the spectrum; same mean intensity as the input (rescaled by the pixel-count ratio)."""
    x = np.asarray(x, dtype=np.float64)
    h, w = x.shape[-2:]
    oh, ow = int(out_shape[0]), int(out_shape[1])
    if oh > h or ow > w:
        raise ValueError(f"k-space truncation cannot enlarge {h}x{w} to {oh}x{ow}")
    k = np.fft.fftshift(np.fft.fft2(x), axes=(-2, -1))
    top, left = _centre_start(h, oh), _centre_start(w, ow)
    kc = k[..., top : top + oh, left : left + ow]
    if cfg != KspaceConfig():
        kc = kc * kspace_weights((oh, ow), cfg)
    out = np.fft.ifft2(np.fft.ifftshift(kc, axes=(-2, -1))) * (oh * ow) / (h * w)
    return (np.abs(out) if cfg.pf < 1.0 else out.real).astype(np.float32)


def kspace_to_centres(lr: np.ndarray, out_shape: tuple[int, int]) -> np.ndarray:
    """Resample a k-space-truncated LR image to the pixel centres a resize would give it (band-limited shift).

    :func:`kspace_image` keeps the DFT's grid: LR pixel ``i`` is the band-limited image at HR pixel
    ``i * s`` (the grids share their first sample). An image resize (area, bicubic, Gaussian + area) puts
    it at the centre of its footprint, HR position ``i * s + (s - 1) / 2``. This shifts ``lr`` by
    ``(1 - 1 / s) / 2`` LR pixels per axis (``s`` = output / input size), multiplying its spectrum by a
    phase ramp: exact for a band-limited image, periodic at the borders (MRI background). A model trained
    on one convention can then serve inputs of the other.

    Parameters
    ----------
    lr : numpy.ndarray
        (..., h, w) float image.
    out_shape : tuple of int
        (H, W) of the HR grid it stands for (``s = H / h`` and ``W / w``).

    Returns
    -------
    numpy.ndarray
        (..., h, w) float32.
    """
    x = np.asarray(lr, dtype=np.float64)
    h, w = x.shape[-2:]
    dy, dx = ((1 - n / int(big)) / 2 for n, big in ((h, out_shape[0]), (w, out_shape[1])))
    ky, kx = np.fft.fftfreq(h)[:, None], np.fft.fftfreq(w)[None, :]
    ramp = np.exp(2j * np.pi * (ky * dy + kx * dx))
    return np.fft.ifft2(np.fft.fft2(x) * ramp).real.astype(np.float32)


def kspace_upsample(lr: np.ndarray, out_shape: tuple[int, int]) -> np.ndarray:
    """Zero-filled k-space upsampling (sinc interpolation), the inverse of ``kspace``.

    The LR spectrum is placed at the centre of an ``out_shape`` spectrum of
    zeros, so an image band-limited below the LR Nyquist frequency is
    recovered exactly from its :func:`kspace_image` output.

    Parameters
    ----------
    lr : numpy.ndarray
        (..., h, w) float image.
    out_shape : tuple of int
        (H, W) with ``H >= h`` and ``W >= w``.

    Returns
    -------
    numpy.ndarray
        (..., H, W) float32, real part, same mean intensity as ``lr``.
    """
    x = np.asarray(lr, dtype=np.float64)
    h, w = x.shape[-2:]
    oh, ow = int(out_shape[0]), int(out_shape[1])
    if oh < h or ow < w:
        raise ValueError(f"zero-fill upsampling cannot shrink {h}x{w} to {oh}x{ow}")
    k = np.fft.fftshift(np.fft.fft2(x), axes=(-2, -1))
    big = np.zeros(x.shape[:-2] + (oh, ow), dtype=complex)
    top, left = _centre_start(oh, h), _centre_start(ow, w)
    big[..., top : top + h, left : left + w] = k
    out = np.fft.ifft2(np.fft.ifftshift(big, axes=(-2, -1))).real * (oh * ow) / (h * w)
    return out.astype(np.float32)


def kspace_consistent(sr: np.ndarray, lr: np.ndarray, weight: float = 1.0) -> np.ndarray:
    """Move an HR estimate's central k-space block towards that of a plain k-space-truncated LR image.

    ``sr + weight * kspace_upsample(lr - K(sr))``, ``K`` the plain :func:`kspace_image` to ``lr``'s
    shape: with ``weight`` 1 the result agrees with the data (``K(result) == lr`` at every frequency but
    the Nyquist row and column of an even-sized ``lr``, which the real part halves), the classical
    data-consistency step of MRI reconstruction; with noise in ``lr`` a smaller weight is better (it
    puts that noise back).

    Parameters
    ----------
    sr : numpy.ndarray
        (..., H, W) HR estimate on the DFT grid's HR pixels.
    lr : numpy.ndarray
        (..., h, w) the LR image it was made from.
    weight : float
        0 (``sr`` unchanged) to 1 (exactly consistent).

    Returns
    -------
    numpy.ndarray
        (..., H, W) float32, not clipped.
    """
    sr = np.asarray(sr, dtype=np.float64)
    residual = np.asarray(lr, dtype=np.float64) - kspace_image(sr, np.shape(lr)[-2:], KspaceConfig())
    return (sr + weight * kspace_upsample(residual, sr.shape[-2:])).astype(np.float32)


# --- through-plane slice profiles -----------------------------------------------------------


@dataclass(frozen=True)
class SliceConfig:
    """Thick slices: each LR sample averages the HR grid over a ``box`` or ``gaussian`` (FWHM) profile.

    ``thickness`` is in LR spacings (1: contiguous slices, below 1: gaps, above 1: overlap).
    Applied along every axis whose LR size is smaller (see :func:`mrisr.data.matrices.profile_matrix`).
    """

    profile: str = "box"
    thickness: float = 1.0

    def __post_init__(self) -> None:
        check_choice("slice profile", str(self.profile), PROFILES)
        object.__setattr__(self, "thickness", check_range("slice thickness", self.thickness))


def slice_matrices(hr_shape: tuple[int, int], lr_shape: tuple[int, int], cfg: SliceConfig) -> Matrices:
    rh = profile_matrix(hr_shape[0], lr_shape[0], profile=cfg.profile, thickness=cfg.thickness)
    rw = profile_matrix(hr_shape[1], lr_shape[1], profile=cfg.profile, thickness=cfg.thickness)
    info = {"profile": cfg.profile, "thickness": float(cfg.thickness)}
    return rh, rw, f"slice_profile({cfg.profile}, {cfg.thickness:g})", info


def slice_image(x: np.ndarray, out_shape: tuple[int, int], cfg: SliceConfig) -> np.ndarray:
    """Average over the slice profile along each axis that shrinks."""
    rh, rw, _, _ = slice_matrices(np.shape(x)[-2:], out_shape, cfg)
    return _separable(x, rh, rw)


# --- explicit kernel (fitted by mrisr.classical.estimate_kernel) ----------------------------


@dataclass(frozen=True)
class KernelConfig:
    """Explicit separable taps with integer decimation (see :func:`mrisr.data.matrices.taps_matrix`).

    ``taps_w`` defaults to ``taps_h``; ``start_*`` to the centred window.
    """

    taps_h: tuple[float, ...] = ()
    taps_w: tuple[float, ...] | None = None
    start_h: int | None = None
    start_w: int | None = None

    def __post_init__(self) -> None:
        th = np.atleast_1d(np.asarray(self.taps_h, dtype=np.float64))
        tw = th if self.taps_w is None else np.atleast_1d(np.asarray(self.taps_w, dtype=np.float64))
        if th.ndim != 1 or tw.ndim != 1 or th.size < 1 or tw.size < 1:
            raise ValueError(f"taps must be non-empty 1-D lists, got shapes {th.shape} and {tw.shape}")
        if not (np.all(np.isfinite(th)) and np.all(np.isfinite(tw))):
            raise ValueError("kernel taps must be finite numbers")
        object.__setattr__(self, "taps_h", tuple(th.tolist()))
        object.__setattr__(self, "taps_w", None if self.taps_w is None else tuple(tw.tolist()))


def kernel_matrices(hr_shape: tuple[int, int], lr_shape: tuple[int, int], cfg: KernelConfig) -> Matrices:
    th = np.asarray(cfg.taps_h, dtype=np.float64)
    tw = th if cfg.taps_w is None else np.asarray(cfg.taps_w, dtype=np.float64)
    rh = taps_matrix(hr_shape[0], lr_shape[0], th, start=cfg.start_h)
    rw = taps_matrix(hr_shape[1], lr_shape[1], tw, start=cfg.start_w)
    info = {"taps_h": th.tolist(), "taps_w": tw.tolist()}
    return rh, rw, f"kernel({th.size}x{tw.size})", info


def kernel_image(x: np.ndarray, out_shape: tuple[int, int], cfg: KernelConfig) -> np.ndarray:
    """Filter with the taps and decimate (integer scales only)."""
    rh, rw, _, _ = kernel_matrices(np.shape(x)[-2:], out_shape, cfg)
    return _separable(x, rh, rw)
