"""Voxel geometry of a resampled grid that covers the same field of view.

Convention (the same as :mod:`mrisr.data.resize`): voxel ``j`` of an axis with
``n`` voxels covers the continuous index interval ``[j - 0.5, j + 0.5]``, so the
field of view (FOV) runs from index ``-0.5`` to ``n - 0.5``. Resampling an axis
from ``n_in`` to ``n_out`` voxels with the FOV kept maps output index ``i`` to
input index ``(i + 0.5) * n_in / n_out - 0.5``. Composing the input affine with
that voxel-to-voxel map gives the output affine; it divides the voxel size by
the effective scale ``n_out / n_in`` and moves the origin (the centre of voxel 0)
by the half-voxel change. Because it is a right-multiplication in voxel space it
is exact for oblique and sheared affines alike.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def voxel_map(in_shape: Sequence[int], out_shape: Sequence[int]) -> np.ndarray:
    """The 4x4 matrix taking output voxel indices to input voxel indices.

    Parameters
    ----------
    in_shape, out_shape : sequence of int
        Spatial shapes (3 entries) of the input and output grids.

    Returns
    -------
    numpy.ndarray
        ``T`` with ``input_ijk = T @ [i, j, k, 1]``; the output affine is
        ``affine_in @ T``.

    Examples
    --------
    >>> voxel_map((10, 10, 4), (20, 20, 4)).diagonal()
    array([0.5, 0.5, 1. , 1. ])
    """
    n_in = np.asarray(in_shape[:3], dtype=np.float64)
    n_out = np.asarray(out_shape[:3], dtype=np.float64)
    if n_in.shape != (3,) or n_out.shape != (3,) or (n_in < 1).any() or (n_out < 1).any():
        raise ValueError(f"need two positive 3-D shapes, got {tuple(in_shape)} and {tuple(out_shape)}")
    step = n_in / n_out
    t = np.eye(4)
    t[:3, :3] = np.diag(step)
    t[:3, 3] = 0.5 * step - 0.5
    return t


def resampled_affine(affine: np.ndarray, in_shape: Sequence[int], out_shape: Sequence[int]) -> np.ndarray:
    """Affine of the ``out_shape`` grid that spans the same FOV as ``affine`` on ``in_shape``."""
    return np.asarray(affine, dtype=np.float64) @ voxel_map(in_shape, out_shape)


def fov_points(affine: np.ndarray, shape: Sequence[int]) -> np.ndarray:
    """World coordinates of the FOV centre and its 8 corners (voxel edges).

    Returns
    -------
    numpy.ndarray
        Shape (9, 3): the centre first, then the corners.
    """
    n = np.asarray(shape[:3], dtype=np.float64)
    lo, hi = -0.5 * np.ones(3), n - 0.5
    corners = np.array([[(hi if (c >> a) & 1 else lo)[a] for a in range(3)] for c in range(8)])
    ijk = np.vstack([(n - 1) / 2.0, corners])
    aff = np.asarray(affine, dtype=np.float64)
    return ijk @ aff[:3, :3].T + aff[:3, 3]
