"""Large images in overlapping tiles, blended: bounded memory for the classical solvers.

A solver whose operators are dense per axis (:mod:`mrisr.classical.operators`:
two ``n x n`` Gram matrices and their eigenbases) needs memory and time that
grow with the square and cube of the image side. Above a size it is run on
overlapping tiles of the LR image instead; each HR tile drops a ``margin`` at
its inner edges (where the tile's own borders disturb the solution) and is
blended into its neighbours with linear ramps across the rest of the overlap.
The weights are products of one ramp per axis, so the normalisation is too:
no second output-sized array is held.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from mrisr.tiling import tile_starts

#: ``solve(lr (N, h, w), hr_shape) -> (N, H, W)`` for one tile
TileSolver = Callable[[np.ndarray, tuple[int, int]], np.ndarray]


def _hr_span(a: int, b: int, n_lr: int, n_hr: int) -> tuple[int, int]:
    """HR pixels covered by LR pixels ``a..b`` (same field of view)."""
    return a * n_hr // n_lr, b * n_hr // n_lr


def _ramp(length: int, inner_start: bool, inner_end: bool, overlap: int, margin: int) -> np.ndarray:
    """Blending weight along one axis of a tile: 0 in the margins at inner edges, rising linearly to 1."""
    d = np.arange(length, dtype=np.float64)
    width = max(overlap - 2 * margin, 1)
    w = np.ones(length)
    if inner_start:
        w = np.minimum(w, np.clip((d - margin + 0.5) / width, 0.0, 1.0))
    if inner_end:
        w = np.minimum(w, np.clip((length - 1 - d - margin + 0.5) / width, 0.0, 1.0))
    return w


def _axis_tiles(n_lr: int, n_hr: int, tile: int, overlap: int, margin: int) -> list[tuple]:
    """Per tile along one axis: (LR span, HR span, HR weights)."""
    scale = n_hr / n_lr
    t_lr = max(1, int(tile / scale))
    o_lr = min(t_lr - 1, int(np.ceil(overlap / scale)))
    # LR tiles in whole units of ``g`` pixels map onto whole HR pixels (same field of view, exactly);
    # at a scale that allows no such unit, HR spans are rounded down (less than one HR pixel off)
    g = n_lr // math.gcd(n_lr, n_hr)
    if g == 1 or 4 * g > t_lr:
        starts = tile_starts(n_lr, t_lr, o_lr)
    else:
        t_lr = t_lr // g * g
        starts = [a * g for a in tile_starts(n_lr // g, t_lr // g, min(t_lr // g - 1, -(-o_lr // g)))]
    out = []
    for k, a in enumerate(starts):
        b = min(n_lr, a + t_lr)
        ha, hb = _hr_span(a, b, n_lr, n_hr)
        out.append(((a, b), (ha, hb), _ramp(hb - ha, k > 0, k < len(starts) - 1, overlap, margin)))
    return out


def solve_tiled(solve: TileSolver, lr: np.ndarray, out_shape: tuple[int, int], *, tile: int = 1024,
                overlap: int = 64, margin: int | None = None) -> np.ndarray:
    """Solve ``lr`` (N, h, w) for an (N, H, W) output tile by tile (one call of ``solve`` if it fits one tile).

    Parameters
    ----------
    solve : callable
        ``solve(lr_tile, hr_tile_shape) -> hr_tile`` (N images at once).
    lr : numpy.ndarray
        (N, h, w) LR images.
    out_shape : tuple of int
        (H, W) output size.
    tile : int, default 1024
        HR pixels per tile side; an output no larger than this is solved whole.
    overlap : int, default 64
        HR pixels (at least) that neighbouring tiles share.
    margin : int, optional
        HR pixels dropped at a tile's inner edges (default ``overlap // 4``);
        the ``overlap - 2 margin`` between are a linear blend.

    Returns
    -------
    numpy.ndarray
        (N, H, W) float32.
    """
    oh, ow = (int(v) for v in out_shape)
    if oh <= tile and ow <= tile:
        return np.asarray(solve(lr, (oh, ow)), dtype=np.float32)
    margin = overlap // 4 if margin is None else int(margin)
    if not 0 <= 2 * margin < overlap < tile:
        raise ValueError(f"need 0 <= 2 margin < overlap < tile, got margin={margin}, overlap={overlap}, tile={tile}")
    rows = _axis_tiles(lr.shape[-2], oh, tile, overlap, margin)
    cols = _axis_tiles(lr.shape[-1], ow, tile, overlap, margin)
    out = np.zeros((lr.shape[0], oh, ow), dtype=np.float32)
    for (a, b), (ha, hb), wy in rows:
        for (c, d), (wa, wb), wx in cols:
            hr = solve(lr[:, a:b, c:d], (hb - ha, wb - wa))
            out[:, ha:hb, wa:wb] += (hr * np.outer(wy, wx)).astype(np.float32)
    norm_y, norm_x = np.zeros(oh), np.zeros(ow)
    for _, (ha, hb), wy in rows:
        norm_y[ha:hb] += wy
    for _, (wa, wb), wx in cols:
        norm_x[wa:wb] += wx
    out /= norm_y.astype(np.float32)[:, None]
    out /= norm_x.astype(np.float32)[None, :]
    return out
