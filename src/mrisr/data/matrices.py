"""One-axis matrices of linear degradations: ``lr = M @ hr`` along one axis.

A separable degradation of an image ``X`` (H, W) is ``R_h @ X @ R_w.T`` with one
matrix per axis; the builders here make those matrices. They are used both to
degrade images (:mod:`mrisr.data.resample`) and as the operator of ELRTV's
inverse problem (:mod:`mrisr.classical.operators`), so the two always agree.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage, special

#: Slice profiles of :func:`profile_matrix`.
PROFILES = ("box", "gaussian")


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


def reflect_index(idx: np.ndarray, n: int) -> np.ndarray:
    """Half-sample symmetric reflection into [0, n) (scipy ``mode='reflect'``)."""
    period = 2 * n
    idx = np.mod(idx, period)
    return np.where(idx >= n, period - 1 - idx, idx)


def gaussian_matrix(n: int, sigma: float, *, truncate: float = 4.0) -> np.ndarray:
    """(n, n) matrix of a 1-D Gaussian blur with reflecting borders (scipy convention)."""
    if sigma <= 0:
        return np.eye(n)
    return ndimage.gaussian_filter1d(np.eye(n), sigma, axis=0, mode="reflect", truncate=truncate)


def taps_matrix(n_hr: int, n_lr: int, taps: np.ndarray, *, start: int | None = None) -> np.ndarray:
    """(n_lr, n_hr) matrix: LR pixel ``i`` = ``sum_k taps[k] * hr[s*i + start + k]``.

    ``s = n_hr // n_lr`` must be an integer; ``start`` defaults to the centred
    window ``(s - len(taps)) // 2``. Borders reflect (half-sample symmetric).
    """
    taps = np.asarray(taps, dtype=np.float64).ravel()
    if n_hr % n_lr:
        raise ValueError(f"kernel operators need an integer scale, got {n_hr} -> {n_lr}")
    s = n_hr // n_lr
    start = (s - len(taps)) // 2 if start is None else int(start)
    idx = s * np.arange(n_lr)[:, None] + start + np.arange(len(taps))[None, :]
    m = np.zeros((n_lr, n_hr))
    rows = np.repeat(np.arange(n_lr), len(taps))
    np.add.at(m, (rows, reflect_index(idx, n_hr).ravel()), np.tile(taps, n_lr))
    return m


def profile_matrix(n_hr: int, n_lr: int, *, profile: str = "box", thickness: float = 1.0) -> np.ndarray:
    """(n_lr, n_hr) matrix of a slice profile: LR sample ``i`` = profile-weighted HR mean.

    Sample ``i`` is centred at HR index ``(i + 0.5) * n_hr / n_lr - 0.5`` (the
    same field of view). The profile's width is ``thickness`` LR spacings: a box
    of that width, or a Gaussian with that full width at half maximum; each
    weight is the profile's integral over the HR voxel. ``thickness=1`` with a
    box is contiguous slices (the area average); below 1 leaves gaps, above 1
    overlaps. Rows are renormalised where the profile leaves the field of view.
    ``n_hr == n_lr`` gives the identity.
    """
    if n_lr < 1 or n_hr < n_lr:
        raise ValueError(f"bad slice-profile shapes: {n_hr} -> {n_lr}")
    if profile not in PROFILES:
        raise ValueError(f"slice profile must be one of {', '.join(PROFILES)}, got {profile!r}")
    if not (np.isfinite(thickness) and thickness > 0):
        raise ValueError(f"slice thickness must be > 0 spacings, got {thickness!r}")
    if n_hr == n_lr:
        return np.eye(n_hr)
    step = n_hr / n_lr
    centre = (np.arange(n_lr)[:, None] + 0.5) * step - 0.5
    lo = np.arange(n_hr)[None, :] - 0.5 - centre  # voxel edges relative to the sample centre
    hi = lo + 1.0
    width = float(thickness) * step
    if profile == "box":
        w = np.clip(np.minimum(hi, width / 2) - np.maximum(lo, -width / 2), 0.0, None)
    else:
        scale = width / (2.0 * np.sqrt(2.0 * np.log(2.0))) * np.sqrt(2.0)
        w = 0.5 * (special.erf(hi / scale) - special.erf(lo / scale))
        w[w < 1e-12] = 0.0
    total = w.sum(axis=1, keepdims=True)
    if (total <= 0).any():
        raise ValueError(f"slice profile ({profile}, thickness {thickness:g}) covers no voxel")
    return w / total
