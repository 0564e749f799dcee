"""Degradation models: HR image -> LR image.

One registry, :data:`DEGRADATIONS`, maps a name to ``fn(hr, out_shape, **opts)``.

- ``bicubic``: anti-aliased bicubic downscaling (MATLAB ``imresize`` style).
- ``gaussian``: Gaussian blur (sigma in HR pixels, default ``0.5 * scale``,
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


def area_matrix(n_in: int, n_out: int) -> np.ndarray:
    """The (n_out, n_in) matrix that averages over each output pixel's footprint (exact for any ratio).

    Row ``i`` weighs input pixel ``j`` by the overlap of ``[j, j + 1)`` with output pixel ``i``'s footprint
    ``[i, i + 1) * n_in / n_out``; each row sums to 1.
    """
    edges = np.arange(n_out + 1) * (n_in / n_out)
    lo, hi = edges[:-1, None], edges[1:, None]
    j = np.arange(n_in)[None, :]
    overlap = np.clip(np.minimum(hi, j + 1) - np.maximum(lo, j), 0.0, None)
    return overlap / overlap.sum(axis=1, keepdims=True)


def area_downscale(image: np.ndarray, out_shape: tuple[int, int]) -> np.ndarray:
    """Box-average ``image`` (..., H, W) onto an ``out_shape`` grid."""
    x = np.asarray(image, dtype=np.float64)
    rh = area_matrix(x.shape[-2], int(out_shape[0]))
    rw = area_matrix(x.shape[-1], int(out_shape[1]))
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


def _centre_start(n: int, m: int) -> int:
    """First index of the central ``m`` frequencies of an fftshift-ed axis of length ``n``.

    Keeps the zero frequency (index ``n // 2`` after ``fftshift``) at index
    ``m // 2`` of the kept block, which is where ``ifftshift`` expects it.
    """
    return n // 2 - m // 2


@DEGRADATIONS.register("kspace")
def kspace_degrade(hr: np.ndarray, out_shape: tuple[int, int]) -> np.ndarray:
    """Keep the central ``out_shape`` block of the 2-D Fourier transform.

    The result has the same mean intensity as the input (the transform is
    rescaled by the pixel-count ratio) and is real (imaginary part dropped).
    """
    x = np.asarray(hr, dtype=np.float64)
    h, w = x.shape[-2:]
    oh, ow = int(out_shape[0]), int(out_shape[1])
    if oh > h or ow > w:
        raise ValueError(f"k-space truncation cannot enlarge {h}x{w} to {oh}x{ow}")
    k = np.fft.fftshift(np.fft.fft2(x), axes=(-2, -1))
    top, left = _centre_start(h, oh), _centre_start(w, ow)
    kc = k[..., top : top + oh, left : left + ow]
    out = np.fft.ifft2(np.fft.ifftshift(kc, axes=(-2, -1))).real * (oh * ow) / (h * w)
    return out.astype(np.float32)


def kspace_upsample(lr: np.ndarray, out_shape: tuple[int, int]) -> np.ndarray:
    """Zero-filled k-space upsampling (sinc interpolation), the inverse of ``kspace``.

    The LR spectrum is placed at the centre of an ``out_shape`` spectrum of
    zeros, so an image band-limited below the LR Nyquist frequency is
    recovered exactly from its :func:`kspace_degrade` output.

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
