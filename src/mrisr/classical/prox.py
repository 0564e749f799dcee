"""Proximal building blocks of ELRTV: gradients, TV shrinkage, singular value thresholding.

All functions act on the last two axes of (..., H, W) arrays, so a batch of
images is processed at once.

References
----------
J.-F. Cai, E. J. Candes, Z. Shen, "A singular value thresholding algorithm for
matrix completion", SIAM J. Optim. 20(4), 2010.
A. Chambolle, "An algorithm for total variation minimization and
applications", JMIV 20, 2004 (isotropic TV, forward differences).
K. Dabov et al., "Image denoising by sparse 3-D transform-domain collaborative
filtering", IEEE TIP 16(8), 2007 (block matching of similar patches).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def grad(x: np.ndarray) -> np.ndarray:
    """Forward differences with Neumann borders: shape (2, ..., H, W) = (d/dy, d/dx)."""
    g = np.zeros((2, *x.shape), dtype=x.dtype)
    g[0, ..., :-1, :] = x[..., 1:, :] - x[..., :-1, :]
    g[1, ..., :, :-1] = x[..., :, 1:] - x[..., :, :-1]
    return g


def grad_adjoint(g: np.ndarray) -> np.ndarray:
    """Adjoint of :func:`grad` (minus the divergence)."""
    gy, gx = g[0], g[1]
    out = np.zeros_like(gy)
    out[..., :-1, :] -= gy[..., :-1, :]
    out[..., 1:, :] += gy[..., :-1, :]
    out[..., :, :-1] -= gx[..., :, :-1]
    out[..., :, 1:] += gx[..., :, :-1]
    return out


def tv(x: np.ndarray, weight: np.ndarray | float = 1.0) -> np.ndarray:
    """Isotropic (weighted) total variation per image: ``sum w |grad x|_2``."""
    g = grad(x)
    return np.sum(weight * np.sqrt(g[0] ** 2 + g[1] ** 2), axis=(-2, -1))


def shrink_isotropic(v: np.ndarray, tau: np.ndarray | float) -> np.ndarray:
    """Prox of ``tau * ||v||_{2,1}`` for a gradient field ``v`` of shape (2, ...).

    Each pixel's 2-vector is shrunk towards zero by ``tau`` (which may vary per pixel).
    """
    mag = np.sqrt(v[0] ** 2 + v[1] ** 2)
    factor = np.maximum(mag - tau, 0.0) / np.maximum(mag, 1e-30)
    return v * factor


def svt(m: np.ndarray, tau: float) -> np.ndarray:
    """Singular value thresholding of (..., r, c) matrices: ``U max(S - tau, 0) V^T``.

    Uses the eigendecomposition of the smaller Gram matrix, which is much faster
    than an SVD for many small matrices and exact up to rounding.
    """
    return svt_basis(m, tau)[0]


def svt_basis(m: np.ndarray, tau: float, basis: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """:func:`svt` that also returns the left singular basis ``U`` (of the smaller side).

    With ``basis`` given, no eigendecomposition is done: the singular values are
    estimated as the norms of ``U^T M`` in that (stale) basis, a warm start that is
    exact when ``M``'s singular vectors have not changed.
    """
    transpose = m.shape[-2] > m.shape[-1]
    a = np.swapaxes(m, -1, -2) if transpose else m
    if basis is None:
        _, basis = np.linalg.eigh(a @ np.swapaxes(a, -1, -2))
    coef = np.swapaxes(basis, -1, -2) @ a
    s = np.sqrt(np.sum(coef * coef, axis=-1))
    factor = np.maximum(s - tau, 0.0) / np.maximum(s, 1e-30)
    out = basis @ (coef * factor[..., :, None])
    return (np.swapaxes(out, -1, -2) if transpose else out), basis


def nuclear_norm(m: np.ndarray) -> np.ndarray:
    """Sum of singular values of (..., r, c) matrices."""
    transpose = m.shape[-2] > m.shape[-1]
    a = np.swapaxes(m, -1, -2) if transpose else m
    lam = np.linalg.eigvalsh(a @ np.swapaxes(a, -1, -2))
    return np.sum(np.sqrt(np.clip(lam, 0.0, None)), axis=-1)


@dataclass(frozen=True)
class PatchGroups:
    """Groups of similar patches in a batch of images (block matching).

    Attributes
    ----------
    n, ii, jj : numpy.ndarray
        (G, k) image index and patch top-left row/column of each group member.
    patch : int
        Patch side.
    shape : tuple
        Batch shape (N, H, W).
    counts : numpy.ndarray
        (N, H, W) how many group members cover each pixel.
    """

    n: np.ndarray
    ii: np.ndarray
    jj: np.ndarray
    patch: int
    shape: tuple[int, int, int]
    counts: np.ndarray

    def extract(self, x: np.ndarray) -> np.ndarray:
        """(G, k, p*p) group matrices of the batch ``x`` (N, H, W)."""
        view = sliding_window_view(x, (self.patch, self.patch), axis=(-2, -1))
        g = view[self.n, self.ii, self.jj]
        return g.reshape(*self.n.shape, self.patch * self.patch)

    def _flat_index(self) -> np.ndarray:
        cached = self.__dict__.get("_flat")
        if cached is not None:
            return cached
        p, (_, h, w) = self.patch, self.shape
        da, db = np.meshgrid(np.arange(p), np.arange(p), indexing="ij")
        base = (self.n * h + self.ii) * w + self.jj
        flat = (base[..., None] + (da * w + db).ravel()).ravel()
        object.__setattr__(self, "_flat", flat)
        return flat

    def aggregate(self, groups: np.ndarray, fallback: np.ndarray) -> np.ndarray:
        """Average overlapping patch estimates back into images; uncovered pixels keep ``fallback``."""
        size = int(np.prod(self.shape))
        acc = np.bincount(self._flat_index(), weights=groups.ravel(), minlength=size).reshape(self.shape)
        covered = self.counts > 0
        out = fallback.copy()
        out[covered] = acc[covered] / self.counts[covered]
        return out.astype(fallback.dtype, copy=False)


def _box_sums(a: np.ndarray, p: int) -> np.ndarray:
    """Sums over every p x p box of (N, H, W): (N, H-p+1, W-p+1), index = top-left corner."""
    c = np.zeros((a.shape[0], a.shape[1] + 1, a.shape[2] + 1), dtype=np.float64)
    c[:, 1:, 1:] = a.cumsum(axis=1).cumsum(axis=2)
    return c[:, p:, p:] - c[:, :-p, p:] - c[:, p:, :-p] + c[:, :-p, :-p]


def _grid(n: int, step: int) -> np.ndarray:
    g = np.arange(0, n, step)
    return np.unique(np.append(g, n - 1))


def match_patches(
    x: np.ndarray, *, patch: int = 6, group: int = 16, search: int = 6, stride: int = 4, min_energy: float = 1e-6
) -> PatchGroups:
    """Block matching: for reference patches on a grid, the ``group`` most similar patches nearby.

    Parameters
    ----------
    x : numpy.ndarray
        (N, H, W) images.
    patch : int
        Patch side in pixels.
    group : int
        Patches per group (including the reference).
    search : int
        Search radius in pixels (offsets in ``[-search, search]^2``).
    stride : int
        Spacing of reference patches.
    min_energy : float
        Reference patches whose mean square is below this (empty background)
        form no group.
    """
    nb, h, w = x.shape
    hp, wp = h - patch + 1, w - patch + 1
    if hp < 1 or wp < 1:
        raise ValueError(f"patch {patch} is larger than the image {x.shape[-2:]}")
    ri, rj = np.meshgrid(_grid(hp, stride), _grid(wp, stride), indexing="ij")
    ri, rj = ri.ravel(), rj.ravel()
    offsets = [(dy, dx) for dy in range(-search, search + 1) for dx in range(-search, search + 1)]
    dist = np.full((len(offsets), nb, ri.size), np.inf, dtype=np.float32)
    for k, (dy, dx) in enumerate(offsets):
        ti, tj = ri + dy, rj + dx
        ok = (ti >= 0) & (ti < hp) & (tj >= 0) & (tj < wp)
        diff = np.zeros_like(x)
        ys, yd = slice(max(0, -dy), h - max(0, dy)), slice(max(0, dy), h - max(0, -dy))
        xs, xd = slice(max(0, -dx), w - max(0, dx)), slice(max(0, dx), w - max(0, -dx))
        diff[:, ys, xs] = (x[:, ys, xs] - x[:, yd, xd]) ** 2
        dist[k][:, ok] = _box_sums(diff, patch)[:, ri[ok], rj[ok]]
    kk = min(group, len(offsets))
    best = np.argpartition(dist, kk - 1, axis=0)[:kk]  # (k, N, R)
    off = np.asarray(offsets)
    invalid = ~np.isfinite(np.take_along_axis(dist, best, axis=0))  # fewer valid offsets than `group`
    dy, dx = np.where(invalid, 0, off[best, 0]), np.where(invalid, 0, off[best, 1])
    ii = (ri[None, None, :] + dy).transpose(1, 2, 0)  # (N, R, k)
    jj = (rj[None, None, :] + dx).transpose(1, 2, 0)
    nn = np.broadcast_to(np.arange(nb)[:, None, None], ii.shape)
    keep = _box_sums(x * x, patch)[:, ri, rj] / patch**2 > min_energy  # (N, R)
    ii, jj, nn = ii[keep], jj[keep], nn[keep]
    counts = np.zeros(nb * h * w)
    groups = PatchGroups(nn, ii, jj, patch, (nb, h, w), counts.reshape(nb, h, w))
    counts[:] = np.bincount(groups._flat_index(), minlength=nb * h * w)
    return groups
