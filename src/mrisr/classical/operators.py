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

The operators are the linear families of the one degradation registry,
:data:`mrisr.data.degrade.DEGRADATIONS` (their matrices are built there, next to
the image functions of the same family): ``gaussian`` (blur then area average),
``area``, ``bicubic`` and ``lanczos`` (anti-aliased resizes), ``kernel``
(explicit 1-D taps with integer decimation, e.g. fitted by
:func:`mrisr.classical.estimate_kernel`) and ``slice_profile`` (a thick-slice
acquisition: each LR sample averages the HR grid over its slice profile, along
whichever axis is shorter; used for through-plane super-resolution).
:func:`make_operator` builds one from a name or ``{'kind': name, **options}``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from mrisr.data.degrade import DEGRADATIONS, make_config, operator_names
from mrisr.data.matrices import PROFILES, gaussian_matrix, profile_matrix, taps_matrix  # noqa: F401 (re-exported)


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


def _shapes(hr_shape: tuple[int, int], lr_shape: tuple[int, int]) -> tuple[int, int, int, int]:
    (h, w), (lh, lw) = (int(v) for v in hr_shape[-2:]), (int(v) for v in lr_shape[-2:])
    if min(h, w, lh, lw) < 1 or lh > h or lw > w:
        raise ValueError(f"bad operator shapes: HR {hr_shape} -> LR {lr_shape}")
    return h, w, lh, lw


def gaussian_operator(
    hr_shape: tuple[int, int], lr_shape: tuple[int, int], *, sigma: float | None = None, bias: float = 0.0
) -> SeparableOperator:
    """The ``gaussian`` operator: blur (``sigma`` HR pixels, default ``scale / 2``) then area averaging.

    With ``sigma=1`` at 2x and ``bias=-0.5/255`` this is the IXI 2x pipeline
    (blur, 2x2 block mean, floor to 8 bits).
    """
    return make_operator({"kind": "gaussian", "sigma": sigma, "bias": bias}, hr_shape, lr_shape)


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
    kind = str(spec["kind"])
    family = DEGRADATIONS.get(kind)
    if family.matrices is None:
        raise ValueError(f"degradation {kind!r} has no operator (linear ones: {', '.join(operator_names())})")
    opts = {k: v for k, v in spec.items() if k not in ("kind", "bias")}
    h, w, lh, lw = _shapes(hr_shape, lr_shape)
    rh, rw, label, info = family.matrices((h, w), (lh, lw), make_config(kind, opts))
    return SeparableOperator(rh, rw, bias=float(spec.get("bias", 0.0)), name=label, info=info)
