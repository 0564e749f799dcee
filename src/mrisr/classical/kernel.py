"""Least-squares estimation of a blur kernel + decimation from HR/LR pairs.

Model: ``lr[i, j] + q ~= sum_{a,b} K[a, b] hr[s i + o + a, s j + o + b] + c`` with
integer scale ``s``, a ``t x t`` kernel ``K`` on the centred window offset
``o = (s - t) // 2``, the quantisation correction ``q`` (``0.5/255`` for LR
images floored to 8 bits, ``0`` for rounded or float ones) and an optional
intercept ``c``. Only LR pixels whose window lies inside the HR image are
used, so borders do not bias the fit.

The full 2-D kernel is the linear least-squares solution (normal equations
accumulated over all pairs). The separable kernel ``K ~= outer(h, w)`` starts
from the best rank-1 approximation of the 2-D solution and is refined by
alternating least squares (each half-step is linear).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from mrisr.classical.operators import SeparableOperator, make_operator

logger = logging.getLogger(__name__)

QUANTISATION = {"floor": 0.5 / 255.0, "round": 0.0, "none": 0.0}


@dataclass(frozen=True)
class KernelEstimate:
    """A fitted kernel and how well it reproduces the LR images.

    Attributes
    ----------
    scale : int
        Decimation factor.
    taps_h, taps_w : numpy.ndarray
        Separable 1-D kernels (rows, columns); ``outer(taps_h, taps_w)`` is the 2-D kernel.
    kernel2d : numpy.ndarray
        The unconstrained (t, t) least-squares kernel.
    start : int
        Window offset ``o`` relative to ``s * i``.
    bias : float
        Model bias for the solver: ``intercept - q`` (``y ~= D x + bias``).
    rms : float
        RMS residual of the separable model on the fitting pixels, in 8-bit grey levels.
    exact : float
        Fraction of fitting pixels reproduced exactly after quantisation.
    quantisation : str
        ``'floor'``, ``'round'`` or ``'none'``.
    """

    scale: int
    taps_h: np.ndarray
    taps_w: np.ndarray
    kernel2d: np.ndarray
    start: int
    bias: float
    rms: float
    exact: float
    quantisation: str

    def operator(self, hr_shape: tuple[int, int], lr_shape: tuple[int, int] | None = None) -> SeparableOperator:
        """The separable operator of this kernel for images of ``hr_shape``."""
        lr_shape = lr_shape or (hr_shape[0] // self.scale, hr_shape[1] // self.scale)
        return make_operator(self.spec(), hr_shape, lr_shape)

    def spec(self, *, with_kind: bool = True) -> dict[str, Any]:
        """YAML-friendly operator spec (``{'kind': 'kernel', taps, starts, bias}``)."""
        d: dict[str, Any] = {
            "taps_h": [round(float(v), 7) for v in self.taps_h],
            "taps_w": [round(float(v), 7) for v in self.taps_w],
            "start_h": int(self.start),
            "start_w": int(self.start),
            "bias": round(float(self.bias), 8),
        }
        return {"kind": "kernel", **d} if with_kind else d


def _windows(hr: np.ndarray, lr_shape: tuple[int, int], s: int, t: int, start: int) -> tuple[np.ndarray, np.ndarray]:
    """(rows, cols) LR indices with interior windows and the (n_i, n_j, t, t) HR windows."""
    lh, lw = lr_shape
    ii = np.array([i for i in range(lh) if s * i + start >= 0 and s * i + start + t <= hr.shape[0]])
    jj = np.array([j for j in range(lw) if s * j + start >= 0 and s * j + start + t <= hr.shape[1]])
    if ii.size == 0 or jj.size == 0:
        raise ValueError(f"kernel of {t} taps does not fit inside HR images of shape {hr.shape}")
    view = sliding_window_view(hr, (t, t))
    return ii, jj, view[np.ix_(s * ii + start, s * jj + start)]


def _check_inputs(hr_list: list[np.ndarray], lr_list: list[np.ndarray], scale: int, taps: int) -> None:
    if len(hr_list) != len(lr_list) or not hr_list:
        raise ValueError(f"need equally many HR and LR images (>= 1), got {len(hr_list)} and {len(lr_list)}")
    if int(scale) != scale or scale < 2:
        raise ValueError(f"scale must be an integer >= 2, got {scale!r}")
    if taps < scale:
        raise ValueError(f"taps must be >= scale ({scale}), got {taps}")
    for k, (hr, lr) in enumerate(zip(hr_list, lr_list, strict=True)):
        if np.ndim(hr) != 2 or np.ndim(lr) != 2:
            raise ValueError(f"pair {k}: expected 2-D images, got {np.shape(hr)} and {np.shape(lr)}")
        if hr.shape[0] // scale != lr.shape[0] or hr.shape[1] // scale != lr.shape[1]:
            raise ValueError(f"pair {k}: HR {hr.shape} is not LR {lr.shape} x {scale}")


def _design(hr_list, lr_list, s, t, start, q):
    """Yield (windows (M, t, t), targets (M,)) per pair."""
    for hr, lr in zip(hr_list, lr_list, strict=True):
        hr = np.asarray(hr, dtype=np.float64)
        ii, jj, win = _windows(hr, lr.shape, s, t, start)
        yield win.reshape(-1, t, t), np.asarray(lr, dtype=np.float64)[np.ix_(ii, jj)].ravel() + q


def _lstsq(ata: np.ndarray, atb: np.ndarray) -> np.ndarray:
    reg = 1e-10 * np.trace(ata) / len(ata)
    return np.linalg.solve(ata + reg * np.eye(len(ata)), atb)


def _fit_full(data, t: int, intercept: bool) -> tuple[np.ndarray, float]:
    n = t * t + int(intercept)
    ata, atb = np.zeros((n, n)), np.zeros(n)
    for win, y in data:
        a = win.reshape(len(y), -1)
        if intercept:
            a = np.hstack([a, np.ones((len(y), 1))])
        ata += a.T @ a
        atb += a.T @ y
    sol = _lstsq(ata, atb)
    return sol[: t * t].reshape(t, t), float(sol[t * t]) if intercept else 0.0


def _fit_half(data, fixed: np.ndarray, axis: int, intercept: bool) -> tuple[np.ndarray, float]:
    """Least squares for one factor with the other fixed."""
    t = len(fixed)
    n = t + int(intercept)
    ata, atb = np.zeros((n, n)), np.zeros(n)
    for win, y in data:
        a = win @ fixed if axis == 0 else np.einsum("mab,a->mb", win, fixed)
        if intercept:
            a = np.hstack([a, np.ones((len(y), 1))])
        ata += a.T @ a
        atb += a.T @ y
    sol = _lstsq(ata, atb)
    return sol[:t], float(sol[t]) if intercept else 0.0


def estimate_kernel(
    hr_list: list[np.ndarray],
    lr_list: list[np.ndarray],
    scale: int,
    *,
    taps: int = 12,
    quantisation: str = "floor",
    intercept: bool = False,
    als_iters: int = 6,
) -> KernelEstimate:
    """Fit a separable blur kernel + decimation that maps HR images to LR images.

    Parameters
    ----------
    hr_list, lr_list : list of numpy.ndarray
        Paired (H, W) and (H/s, W/s) float images in [0, 1].
    scale : int
        Integer decimation factor ``s``.
    taps : int, default 12
        Kernel width in HR pixels (the window is centred on each LR pixel;
        ``taps - scale`` is made even by adding one tap if needed).
    quantisation : {'floor', 'round', 'none'}
        How the LR images were quantised; ``'floor'`` adds ``0.5/255`` to the
        targets (truncation makes them too dark by that much on average).
    intercept : bool, default False
        Also fit a constant offset (it trades off against the kernel's gain;
        with ``quantisation='floor'`` the fit is better without it).
    als_iters : int, default 6
        Alternating least-squares refinements of the separable factors.

    Returns
    -------
    KernelEstimate

    Raises
    ------
    ValueError
        Mismatched lists or shapes, a non-integer scale, unknown quantisation.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> hr = [rng.random((32, 32))]
    >>> from mrisr.classical.operators import gaussian_operator
    >>> lr = [gaussian_operator((32, 32), (16, 16), sigma=1.0).forward(hr[0])]
    >>> est = estimate_kernel(hr, lr, 2, taps=10, quantisation="none", intercept=False)
    >>> bool(est.rms < 1e-6)
    True
    """
    if quantisation not in QUANTISATION:
        raise ValueError(f"quantisation must be one of {sorted(QUANTISATION)}, got {quantisation!r}")
    _check_inputs(hr_list, lr_list, scale, taps)
    s, t = int(scale), int(taps) + (int(taps) - int(scale)) % 2
    start, q = (s - t) // 2, QUANTISATION[quantisation]
    data = list(_design(hr_list, lr_list, s, t, start, q))
    k2d, c = _fit_full(data, t, intercept)
    u, sv, vt = np.linalg.svd(k2d)
    sign = np.sign(u[:, 0].sum()) or 1.0
    th, tw = sign * np.sqrt(sv[0]) * u[:, 0], sign * np.sqrt(sv[0]) * vt[0]
    for _ in range(als_iters):
        th, c = _fit_half(data, tw, 0, intercept)
        tw, c = _fit_half(data, th, 1, intercept)
    rms, exact = _residuals(data, th, tw, c, q, quantisation)
    logger.info("kernel fit: %d taps, rms %.3f grey levels, %.2f%% exact", t, rms, 100 * exact)
    return KernelEstimate(s, th, tw, k2d, start, c - q, rms, exact, quantisation)


def _residuals(data, th, tw, c, q, quantisation) -> tuple[float, float]:
    sq, hits, n = 0.0, 0, 0
    for win, y in data:
        pred = np.einsum("mab,a,b->m", win, th, tw) + c
        sq += float(np.sum((pred - y) ** 2))
        target, model = (y - q) * 255.0, pred * 255.0
        if quantisation == "floor":
            model = np.floor(model + 1e-6)
        elif quantisation == "round":
            model = np.round(model)
        hits += int(np.sum(np.abs(model - target) < 1e-3))
        n += len(y)
    return float(np.sqrt(sq / n) * 255.0), hits / n
