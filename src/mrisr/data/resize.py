"""Separable image resizing by explicit interpolation matrices.

Conventions: half-pixel centres (a source pixel ``j`` covers ``[j, j+1)``; the
output pixel ``i`` of an ``n_in -> n_out`` resize samples source coordinate
``(i + 0.5) * n_in / n_out - 0.5``), border samples clamped to the edge. With
``a = -0.75`` and no anti-aliasing the cubic kernel reproduces OpenCV
``INTER_CUBIC`` and PyTorch ``bicubic(align_corners=False)`` in float;
``bilinear`` matches PyTorch ``bilinear(align_corners=False)`` and OpenCV
``INTER_LINEAR`` when upscaling; ``nearest`` picks the source pixel whose
cell contains the output centre (PyTorch ``nearest-exact``, PIL ``NEAREST``),
not OpenCV/PyTorch ``nearest``, which drop the half-pixel offset.
``lanczos2``/``lanczos3`` are the windowed sinc ``sinc(x) sinc(x/n)`` on ``|x| < n``
(PIL ``LANCZOS`` is ``lanczos3``), rows normalised to sum to one.

Every resize is ``out = R_h @ image @ R_w.T`` with small dense matrices, which
makes it exact for any (also non-integer) scale, batchable, and reusable as the
linear operator of an inverse problem (:func:`resize_matrix`). Outputs of more
than 4096² pixels are computed in blocks of rows from the same taps instead, so
that memory stays bounded apart from the output (equal to float rounding).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

KERNELS = ("nearest", "bilinear", "bicubic", "lanczos2", "lanczos3")


def _cubic(x: np.ndarray, a: float) -> np.ndarray:
    x = np.abs(x)
    x2, x3 = x * x, x * x * x
    w = np.where(x <= 1, (a + 2) * x3 - (a + 3) * x2 + 1, 0.0)
    return np.where((x > 1) & (x < 2), a * x3 - 5 * a * x2 + 8 * a * x - 4 * a, w)


def _linear(x: np.ndarray) -> np.ndarray:
    return np.clip(1.0 - np.abs(x), 0.0, None)


def _lanczos(x: np.ndarray, lobes: int) -> np.ndarray:
    return np.where(np.abs(x) < lobes, np.sinc(x) * np.sinc(x / lobes), 0.0)


def _weights(dist: np.ndarray, kernel: str, a: float) -> np.ndarray:
    if kernel == "bicubic":
        return _cubic(dist, a)
    if kernel.startswith("lanczos"):
        return _lanczos(dist, int(kernel[-1]))
    return _linear(dist)


def _taps(n_in: int, n_out: int, kernel: str, antialias: bool, a: float) -> tuple[np.ndarray, np.ndarray]:
    """Per output pixel, the source indices (clamped to the edge) and weights: (n_out, taps) each."""
    scale = n_out / n_in
    centres = (np.arange(n_out) + 0.5) / scale - 0.5
    if kernel == "nearest":
        src = np.minimum(np.floor((np.arange(n_out) + 0.5) / scale).astype(int), n_in - 1)
        return src[:, None], np.ones((n_out, 1))
    support = {"bicubic": 2.0, "lanczos2": 2.0, "lanczos3": 3.0}.get(kernel, 1.0)
    stretch = 1.0 / scale if (antialias and scale < 1) else 1.0
    radius = support * stretch
    taps = np.arange(-int(np.ceil(radius)) - 1, int(np.ceil(radius)) + 2)
    base = np.floor(centres).astype(int)
    idx = base[:, None] + taps[None, :]
    dist = (centres[:, None] - idx) / stretch
    w = _weights(dist, kernel, a)
    w /= w.sum(axis=1, keepdims=True)
    return np.clip(idx, 0, n_in - 1), w


@lru_cache(maxsize=256)
def _matrix(n_in: int, n_out: int, kernel: str, antialias: bool, a: float) -> np.ndarray:
    idx, w = _taps(n_in, n_out, kernel, antialias, a)
    m = np.zeros((n_out, n_in), dtype=np.float64)
    rows = np.repeat(np.arange(n_out), idx.shape[1])
    np.add.at(m, (rows, idx.ravel()), w.ravel())
    return m


#: outputs above this many pixels are resized in row blocks from the taps (no dense matrices)
_DENSE_MAX_PIXELS = 4096 * 4096
_BLOCK_ROWS = 256


def _resize_blocks(x: np.ndarray, out_shape: tuple[int, int], kernel: str, antialias: bool, a: float,
                   clip: bool) -> np.ndarray:
    """:func:`resize` of (N, h, w) float64 in blocks of output rows: memory bounded apart from the output."""
    (h, w), (oh, ow) = x.shape[-2:], out_shape
    ih, wh = _taps(h, oh, kernel, antialias, a)
    iw, ww = _taps(w, ow, kernel, antialias, a)
    out = np.empty((x.shape[0], oh, ow), dtype=np.float32)
    for r0 in range(0, oh, _BLOCK_ROWS):
        rows, weights = ih[r0 : r0 + _BLOCK_ROWS], wh[r0 : r0 + _BLOCK_ROWS]
        lo, hi = int(rows.min()), int(rows.max()) + 1
        src = x[:, lo:hi]
        tmp = sum(ww[:, t] * src[..., iw[:, t]] for t in range(iw.shape[1]))  # (N, hi - lo, ow)
        block = sum(weights[:, t, None] * tmp[:, rows[:, t] - lo] for t in range(rows.shape[1]))
        if clip:
            np.clip(block, 0.0, 1.0, out=block)
        out[:, r0 : r0 + len(rows)] = block
    return out


def resize_matrix(
    n_in: int, n_out: int, *, kernel: str = "bicubic", antialias: bool = True, a: float = -0.75
) -> np.ndarray:
    """The (n_out, n_in) matrix that resizes one axis.

    Parameters
    ----------
    n_in, n_out : int
        Input and output lengths.
    kernel : {'nearest', 'bilinear', 'bicubic', 'lanczos2', 'lanczos3'}
        Interpolation kernel.
    antialias : bool, default True
        When downscaling, stretch the kernel by ``n_in / n_out`` (low-pass
        filter, as MATLAB ``imresize``); no effect when upscaling.
    a : float, default -0.75
        Keys cubic parameter (-0.75: OpenCV/PyTorch; -0.5: MATLAB).
    """
    if kernel not in KERNELS:
        raise ValueError(f"unknown kernel {kernel!r} (options: {', '.join(KERNELS)})")
    if n_in < 1 or n_out < 1:
        raise ValueError(f"sizes must be positive, got {n_in} -> {n_out}")
    return _matrix(int(n_in), int(n_out), kernel, bool(antialias), float(a)).copy()


def resize(
    image: np.ndarray,
    out_shape: tuple[int, int],
    *,
    kernel: str = "bicubic",
    antialias: bool = True,
    a: float = -0.75,
    clip: bool = False,
) -> np.ndarray:
    """Resize the last two axes of ``image`` to ``out_shape``.

    Parameters
    ----------
    image : numpy.ndarray
        Shape (..., H, W), any float or integer dtype.
    out_shape : tuple of int
        Output (H', W').
    kernel, antialias, a
        See :func:`resize_matrix`.
    clip : bool, default False
        Clip the result to [0, 1] (cubic kernels overshoot).

    Returns
    -------
    numpy.ndarray
        Shape (..., H', W'), float32.

    Examples
    --------
    >>> import numpy as np
    >>> resize(np.ones((4, 4)), (8, 8)).mean()
    1.0
    """
    x = np.asarray(image, dtype=np.float64)
    if x.ndim < 2:
        raise ValueError(f"expected an array with at least 2 dimensions, got shape {x.shape}")
    h, w = x.shape[-2:]
    oh, ow = int(out_shape[0]), int(out_shape[1])
    if kernel not in KERNELS:
        raise ValueError(f"unknown kernel {kernel!r} (options: {', '.join(KERNELS)})")
    if oh * ow > _DENSE_MAX_PIXELS:
        out = _resize_blocks(x.reshape(-1, h, w), (oh, ow), kernel, bool(antialias), float(a), clip)
        return out.reshape(*x.shape[:-2], oh, ow)
    rh = _matrix(h, oh, kernel, bool(antialias), float(a))
    rw = _matrix(w, ow, kernel, bool(antialias), float(a))
    out = rh @ x @ rw.T
    if clip:
        np.clip(out, 0.0, 1.0, out=out)
    return out.astype(np.float32)


def scaled_shape(shape: tuple[int, int], scale: float) -> tuple[int, int]:
    """``round(shape * scale)`` per axis, at least 1."""
    return tuple(max(1, int(round(n * scale))) for n in shape[-2:])  # type: ignore[return-value]


def check_scale(scale: float, *, low: float = 1.0, high: float = 16.0) -> float:
    """Validate an upscaling factor: ``low < scale <= high``.

    Raises
    ------
    ValueError
        Naming the bad value.
    """
    try:
        s = float(scale)
    except (TypeError, ValueError):
        raise ValueError(f"scale must be a number, got {scale!r}") from None
    if not np.isfinite(s) or not low < s <= high:
        raise ValueError(f"scale must be > {low:g} and <= {high:g}, got {scale!r}")
    return s
