"""Degradation operators ``D``: separable linear maps from HR to LR images.

Every operator here is ``D(X) = R_h @ X @ R_w.T`` with two small dense
matrices (one per axis), so

- the adjoint is ``D^T(Y) = R_h.T @ Y @ R_w``;
- the normal operator is ``D^T D (X) = A_h @ X @ A_w`` with ``A = R.T @ R``,
  a Kronecker product whose eigendecomposition is that of two small matrices;
- operators compose by matrix products (used for coarse-to-fine solves).

The model of a stored LR image is ``y ~= D(x) + bias``. 8-bit images that were
truncated (floored) rather than rounded are on average ``0.5/255`` too dark,
which ``bias = -0.5/255`` accounts for.

Builders are registered in :data:`OPERATORS` and take ``(hr_shape, lr_shape,
**options)``: ``gaussian`` (blur then area average), ``bicubic`` (anti-aliased
resize), ``kernel`` (explicit 1-D taps with integer decimation, e.g. fitted
by :func:`mrisr.classical.estimate_kernel`) and ``slice_profile`` (a thick-slice
acquisition: each LR sample averages the HR grid over its slice profile, along
whichever axis is shorter; used for through-plane super-resolution).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
from scipy import ndimage, special

from mrisr.data.degrade import area_matrix
from mrisr.data.resize import resize_matrix
from mrisr.registry import Registry

#: name -> builder ``f(hr_shape, lr_shape, **options) -> SeparableOperator``
OPERATORS: Registry = Registry("degradation operator")


@dataclass(frozen=True, eq=False)
class SeparableOperator:
    """A linear HR -> LR map ``X -> R_h X R_w^T`` plus a constant bias.

    Parameters
    ----------
    rh : numpy.ndarray
        (h_lr, h_hr) matrix acting on rows.
    rw : numpy.ndarray
        (w_lr, w_hr) matrix acting on columns.
    bias : float, default 0
        Constant in the LR model ``y ~= D(x) + bias`` (``-0.5/255`` for
        floored 8-bit LR images).
    name : str
        Short description for logs and reports.
    info : dict
        Extra description (kernel taps, sigma, ...).
    """

    rh: np.ndarray
    rw: np.ndarray
    bias: float = 0.0
    name: str = "custom"
    info: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for label, m in (("rh", self.rh), ("rw", self.rw)):
            if np.ndim(m) != 2 or not np.all(np.isfinite(m)):
                raise ValueError(f"{label} must be a finite 2-D matrix, got shape {np.shape(m)}")
        object.__setattr__(self, "rh", np.asarray(self.rh, dtype=np.float64))
        object.__setattr__(self, "rw", np.asarray(self.rw, dtype=np.float64))

    @property
    def hr_shape(self) -> tuple[int, int]:
        return (self.rh.shape[1], self.rw.shape[1])

    @property
    def lr_shape(self) -> tuple[int, int]:
        return (self.rh.shape[0], self.rw.shape[0])

    def matrices(self, dtype: Any = np.float64) -> tuple[np.ndarray, np.ndarray]:
        """``(R_h, R_w)`` cast to ``dtype``."""
        return self.rh.astype(dtype, copy=False), self.rw.astype(dtype, copy=False)

    def forward(self, x: np.ndarray) -> np.ndarray:
        """``R_h x R_w^T`` for x of shape (..., h_hr, w_hr) (bias not added)."""
        rh, rw = self.matrices(x.dtype if x.dtype.kind == "f" else np.float64)
        return rh @ x @ rw.T

    def adjoint(self, y: np.ndarray) -> np.ndarray:
        """``R_h^T y R_w`` for y of shape (..., h_lr, w_lr)."""
        rh, rw = self.matrices(y.dtype if y.dtype.kind == "f" else np.float64)
        return rh.T @ y @ rw

    @cached_property
    def grams(self) -> tuple[np.ndarray, np.ndarray]:
        """``(R_h^T R_h, R_w^T R_w)``: ``D^T D x = A_h x A_w``."""
        return self.rh.T @ self.rh, self.rw.T @ self.rw

    @cached_property
    def eig(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Eigendecompositions ``(lam_h, Q_h, lam_w, Q_w)`` of the two grams."""
        ah, aw = self.grams
        lh, qh = np.linalg.eigh(ah)
        lw, qw = np.linalg.eigh(aw)
        return np.clip(lh, 0.0, None), qh, np.clip(lw, 0.0, None), qw

    @cached_property
    def norm_sq(self) -> float:
        """Largest eigenvalue of ``D^T D`` (``||D||_2^2``)."""
        lh, _, lw, _ = self.eig
        return float(lh.max() * lw.max())

    def solve_normal(self, b: np.ndarray, shift: float) -> np.ndarray:
        """Exact solve of ``(D^T D + shift I) x = b`` by the Kronecker eigenbasis."""
        if shift <= 0:
            raise ValueError(f"shift must be > 0, got {shift}")
        lh, qh, lw, qw = self.eig
        dt = b.dtype if b.dtype.kind == "f" else np.float64
        qh, qw = qh.astype(dt), qw.astype(dt)
        denom = (np.outer(lh, lw) + shift).astype(dt)
        return qh @ ((qh.T @ b @ qw) / denom) @ qw.T

    def fit_towards(self, y: np.ndarray, x0: np.ndarray, mu: float) -> np.ndarray:
        """``argmin_x ||D x + bias - y||^2 + mu ||x - x0||^2``, solved exactly.

        The image nearest ``x0`` that explains the LR image ``y``: a small ``mu``
        enforces the data (data consistency), a large one keeps ``x0``.
        """
        return self.solve_normal(self.adjoint(y - self.bias) + mu * x0, mu)

    def compose(self, up_h: np.ndarray, up_w: np.ndarray, *, name: str | None = None) -> SeparableOperator:
        """The operator ``x_mid -> D(U_h x_mid U_w^T)`` on a coarser grid."""
        return SeparableOperator(
            self.rh @ up_h, self.rw @ up_w, bias=self.bias, name=name or f"{self.name}@mid", info=self.info
        )

    def describe(self) -> dict[str, Any]:
        """A YAML-friendly description (name, shapes, bias, info)."""
        return {"name": self.name, "hr_shape": list(self.hr_shape), "lr_shape": list(self.lr_shape),
                "bias": float(self.bias), **self.info}


def _reflect_index(idx: np.ndarray, n: int) -> np.ndarray:
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
    np.add.at(m, (rows, _reflect_index(idx, n_hr).ravel()), np.tile(taps, n_lr))
    return m


def _shapes(hr_shape: tuple[int, int], lr_shape: tuple[int, int]) -> tuple[int, int, int, int]:
    (h, w), (lh, lw) = (int(v) for v in hr_shape[-2:]), (int(v) for v in lr_shape[-2:])
    if min(h, w, lh, lw) < 1 or lh > h or lw > w:
        raise ValueError(f"bad operator shapes: HR {hr_shape} -> LR {lr_shape}")
    return h, w, lh, lw


@OPERATORS.register("gaussian")
def gaussian_operator(
    hr_shape: tuple[int, int], lr_shape: tuple[int, int], *, sigma: float | None = None, bias: float = 0.0
) -> SeparableOperator:
    """Gaussian blur (``sigma`` HR pixels, default ``scale / 2``) then area averaging.

    With ``sigma=1`` at 2x and ``bias=-0.5/255`` this is the IXI 2x pipeline
    (blur, 2x2 block mean, floor to 8 bits).
    """
    h, w, lh, lw = _shapes(hr_shape, lr_shape)
    s = 0.5 * h / lh if sigma is None else float(sigma)
    if s < 0:
        raise ValueError(f"sigma must be >= 0, got {sigma}")
    rh = area_matrix(h, lh) @ gaussian_matrix(h, s)
    rw = area_matrix(w, lw) @ gaussian_matrix(w, s)
    return SeparableOperator(rh, rw, bias=float(bias), name=f"gaussian(sigma={s:g})", info={"sigma": s})


@OPERATORS.register("bicubic")
def bicubic_operator(
    hr_shape: tuple[int, int], lr_shape: tuple[int, int], *, bias: float = 0.0
) -> SeparableOperator:
    """Anti-aliased bicubic downscaling (MATLAB ``imresize`` style)."""
    h, w, lh, lw = _shapes(hr_shape, lr_shape)
    rh = resize_matrix(h, lh, kernel="bicubic", antialias=True)
    rw = resize_matrix(w, lw, kernel="bicubic", antialias=True)
    return SeparableOperator(rh, rw, bias=float(bias), name="bicubic")


@OPERATORS.register("kernel")
def kernel_operator(
    hr_shape: tuple[int, int],
    lr_shape: tuple[int, int],
    *,
    taps_h: list[float] | np.ndarray,
    taps_w: list[float] | np.ndarray | None = None,
    start_h: int | None = None,
    start_w: int | None = None,
    bias: float = 0.0,
) -> SeparableOperator:
    """Explicit separable kernel with integer decimation (see :func:`taps_matrix`).

    ``taps_w`` defaults to ``taps_h``; ``start_*`` to the centred window.
    """
    h, w, lh, lw = _shapes(hr_shape, lr_shape)
    th = np.asarray(taps_h, dtype=np.float64)
    tw = th if taps_w is None else np.asarray(taps_w, dtype=np.float64)
    if th.ndim != 1 or tw.ndim != 1 or th.size < 1 or tw.size < 1:
        raise ValueError(f"taps must be non-empty 1-D lists, got shapes {th.shape} and {tw.shape}")
    rh = taps_matrix(h, lh, th, start=start_h)
    rw = taps_matrix(w, lw, tw, start=start_w)
    info = {"taps_h": th.tolist(), "taps_w": tw.tolist()}
    return SeparableOperator(rh, rw, bias=float(bias), name=f"kernel({th.size}x{tw.size})", info=info)


PROFILES = ("box", "gaussian")


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


@OPERATORS.register("slice_profile")
def slice_profile_operator(
    hr_shape: tuple[int, int],
    lr_shape: tuple[int, int],
    *,
    profile: str = "box",
    thickness: float = 1.0,
    bias: float = 0.0,
) -> SeparableOperator:
    """Thick slices along each axis whose LR size is smaller (see :func:`profile_matrix`); other axes untouched."""
    h, w, lh, lw = _shapes(hr_shape, lr_shape)
    rh = profile_matrix(h, lh, profile=profile, thickness=thickness)
    rw = profile_matrix(w, lw, profile=profile, thickness=thickness)
    info = {"profile": profile, "thickness": float(thickness)}
    return SeparableOperator(rh, rw, bias=float(bias), name=f"slice_profile({profile}, {thickness:g})", info=info)


def make_operator(
    spec: str | dict[str, Any] | SeparableOperator,
    hr_shape: tuple[int, int],
    lr_shape: tuple[int, int],
) -> SeparableOperator:
    """Build an operator from a name, a ``{'kind': name, **options}`` mapping, or pass one through.

    Examples
    --------
    >>> op = make_operator({"kind": "gaussian", "sigma": 1.0}, (8, 8), (4, 4))
    >>> op.forward(np.ones((8, 8))).round(6).tolist()[0]
    [1.0, 1.0, 1.0, 1.0]
    """
    if isinstance(spec, SeparableOperator):
        if spec.hr_shape != tuple(hr_shape[-2:]) or spec.lr_shape != tuple(lr_shape[-2:]):
            raise ValueError(
                f"operator maps {spec.hr_shape} -> {spec.lr_shape}, needed {tuple(hr_shape)} -> {tuple(lr_shape)}"
            )
        return spec
    if isinstance(spec, str):
        spec = {"kind": spec}
    if not isinstance(spec, dict) or "kind" not in spec:
        raise ValueError(f"operator must be a name or a mapping with 'kind', got {spec!r}")
    opts = {k: v for k, v in spec.items() if k != "kind"}
    builder = OPERATORS.get(str(spec["kind"]))
    try:
        return builder(hr_shape, lr_shape, **opts)
    except TypeError as exc:
        raise ValueError(f"bad options for operator {spec['kind']!r}: {exc}") from None
