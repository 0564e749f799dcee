"""Degradation models: HR image -> LR image.

One registry, :data:`DEGRADATIONS`, maps a name to ``fn(hr, out_shape, **opts)``.

- ``bicubic``: anti-aliased bicubic downscaling (MATLAB ``imresize`` style).
- ``gaussian``: Gaussian blur (sigma in HR pixels, default ``0.5 * scale``...
  see :func:`gaussian_degrade`) followed by area averaging to ``out_shape``.
- ``kspace``: truncation of k-space to the central ``out_shape`` frequencies,
  MRI's physical low-resolution acquisition model.

All take and return float arrays with shape (..., H, W).
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from mrisr.data.resize import resize
from mrisr.registry import Registry

DEGRADATIONS: Registry = Registry("degradation")


@DEGRADATIONS.register("bicubic")
def bicubic_degrade(hr: np.ndarray, out_shape: tuple[int, int]) -> np.ndarray:
    """Anti-aliased bicubic downscaling to ``out_shape``."""
    return resize(hr, out_shape, kernel="bicubic", antialias=True)


def _area_matrix(n_in: int, n_out: int) -> np.ndarray:
    """Averages over each output pixel's footprint (exact for any ratio)."""
    edges = np.arange(n_out + 1) * (n_in / n_out)
    lo, hi = edges[:-1, None], edges[1:, None]
    j = np.arange(n_in)[None, :]
    overlap = np.clip(np.minimum(hi, j + 1) - np.maximum(lo, j), 0.0, None)
    return overlap / overlap.sum(axis=1, keepdims=True)


def area_downscale(image: np.ndarray, out_shape: tuple[int, int]) -> np.ndarray:
    """Box-average ``image`` (..., H, W) onto an ``out_shape`` grid."""
    x = np.asarray(image, dtype=np.float64)
    rh = _area_matrix(x.shape[-2], int(out_shape[0]))
    rw = _area_matrix(x.shape[-1], int(out_shape[1]))
    return (rh @ x @ rw.T).astype(np.float32)


@DEGRADATIONS.register("gaussian")
def gaussian_degrade(
    hr: np.ndarray, out_shape: tuple[int, int], *, sigma: float | None = None
) -> np.ndarray:
    """Gaussian blur then area averaging.

    Parameters
    ----------
    sigma : float, optional
        Blur in HR pixels; default ``0.5 * scale`` (scale = H / out_H), which
        at 2x is the IXI 2x pipeline's sigma of 1.0.
    """
    x = np.asarray(hr, dtype=np.float64)
    scale = x.shape[-2] / out_shape[0]
    s = 0.5 * scale if sigma is None else float(sigma)
    sig = (0,) * (x.ndim - 2) + (s, s)
    blurred = ndimage.gaussian_filter(x, sigma=sig, mode="reflect")
    return area_downscale(blurred, out_shape)


@DEGRADATIONS.register("kspace")
def kspace_degrade(hr: np.ndarray, out_shape: tuple[int, int]) -> np.ndarray:
    """Keep the central ``out_shape`` block of the 2-D Fourier transform.

    The result has the same mean intensity as the input (the transform is
    rescaled by the pixel-count ratio) and is real (imaginary part dropped).
    """
    x = np.asarray(hr, dtype=np.float64)
    h, w = x.shape[-2:]
    oh, ow = int(out_shape[0]), int(out_shape[1])
    k = np.fft.fftshift(np.fft.fft2(x), axes=(-2, -1))
    top, left = (h - oh + 1) // 2, (w - ow + 1) // 2
    kc = k[..., top : top + oh, left : left + ow]
    out = np.fft.ifft2(np.fft.ifftshift(kc, axes=(-2, -1))).real * (oh * ow) / (h * w)
    return out.astype(np.float32)


def degrade(
    hr: np.ndarray, scale: float, *, kind: str = "bicubic", quantise: bool = False, **opts
) -> np.ndarray:
    """Make an LR image ``round(H / scale) x round(W / scale)`` from ``hr``.

    Parameters
    ----------
    hr : numpy.ndarray
        (..., H, W) float in [0, 1].
    scale : float
        Downscaling factor (> 1, may be non-integer).
    kind : str
        A name in :data:`DEGRADATIONS`.
    quantise : bool, default False
        Round to 8 bits, as when LR images are stored as 8-bit PNG.
    """
    from mrisr.data.resize import check_scale

    scale = check_scale(scale)
    h, w = np.shape(hr)[-2:]
    out_shape = (max(1, int(round(h / scale))), max(1, int(round(w / scale))))
    lr = np.clip(DEGRADATIONS.get(kind)(hr, out_shape, **opts), 0.0, 1.0)
    if quantise:
        lr = np.round(lr * 255.0) / 255.0
    return lr.astype(np.float32)
