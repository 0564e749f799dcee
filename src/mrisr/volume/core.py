"""Slice-wise in-plane super-resolution of whole volumes, geometry kept.

The volume is cut into 2-D slices along ``axis``; each batch of slices is
mapped to [0, 1] (:mod:`mrisr.volume.intensity`), upscaled in-plane by a
registered method and mapped back. The slice axis keeps its size; the output
affine covers the same field of view (:mod:`mrisr.volume.geometry`).

Header policy
-------------
- qform and sform: both transformed by the same voxel map, codes kept (a code
  of 0 stays 0); pixdim holds the new voxel sizes; units (``xyzt_units``),
  ``descrip``, intent, ``dim_info``, calibration range and extensions are
  copied unchanged.
- ``scl_slope``/``scl_inter``: nibabel applies them on read, so the work is
  done in physical units. With ``dtype='input'`` an integer volume comes back
  rounded to its own storage grid (``inter + slope * k``) in its own type:
  :func:`upscale_volume_file` writes those stored integers with the input's
  slope and intercept (exact), while the in-memory image returned by
  :func:`upscale_volume` holds physical values (so ``get_fdata`` is right) and
  lets nibabel choose a slope on save (no coarser than the input's, since the
  output range lies inside the input range). Float volumes are written in
  physical units with slope 1, intercept 0. ``dtype='float32'`` writes
  physical float32.
- A volume whose output shape equals its input shape (scale 1, or ``size``
  equal to the input) is copied without calling the method: the exact
  identity, header included.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from mrisr._outputs import check_output_file
from mrisr.data.io import NIFTI_SUFFIXES
from mrisr.data.resize import check_scale, scaled_shape
from mrisr.volume.pipeline import (
    DTYPES,
    build_method,
    check_batch_size,
    process,
    read_source,
    read_volume,
    storage_for,
    to_image,
    write_volume,
)

logger = logging.getLogger(__name__)

__all__ = ["DTYPES", "output_shape", "read_volume", "upscale_volume", "upscale_volume_file"]


def _plane_axes(axis: int) -> tuple[int, int]:
    if isinstance(axis, bool) or axis not in (0, 1, 2):
        raise ValueError(f"axis must be 0, 1 or 2, got {axis!r}")
    p = [a for a in range(3) if a != axis]
    return p[0], p[1]


def _plane_size(size: int | Sequence[int], plane_in: tuple[int, int]) -> tuple[int, int]:
    vals = (size, size) if np.isscalar(size) else tuple(size)
    if len(vals) != 2 or not all(float(v).is_integer() and v >= 1 for v in vals):
        raise ValueError(f"size must be a positive integer or a pair of them, got {size!r}")
    out = (int(vals[0]), int(vals[1]))
    if out[0] < plane_in[0] or out[1] < plane_in[1]:
        raise ValueError(f"size {out} is smaller than the in-plane shape {plane_in}; this tool only upscales")
    return out


def output_shape(
    in_shape: Sequence[int], *, axis: int = 2, scale: float | None = None, size=None
) -> tuple[tuple[int, int, int], float]:
    """Output shape and effective in-plane scale for a 3-D ``in_shape``.

    Parameters
    ----------
    in_shape : sequence of int
        Input shape (3 entries).
    axis : {0, 1, 2}
        The slice axis (kept); the other two are upscaled.
    scale : float, optional
        In-plane factor, 1 (identity) or in (1, 16]; each in-plane axis gets
        ``round(n * scale)`` voxels.
    size : int or (int, int), optional
        In-plane output shape instead of ``scale`` (the two non-slice axes in
        their original order), at least the input's.

    Returns
    -------
    shape : tuple of int
        The output shape.
    scale : float
        The largest per-axis ratio ``n_out / n_in`` (what the method is built for).
    """
    p, q = _plane_axes(axis)
    plane_in = (int(in_shape[p]), int(in_shape[q]))
    if (scale is None) == (size is None):
        raise ValueError("give exactly one of scale and size")
    if size is not None:
        plane_out = _plane_size(size, plane_in)
    else:
        s = float(scale)
        if s != 1.0:
            check_scale(s)
        plane_out = plane_in if s == 1.0 else scaled_shape(plane_in, s)
    shape = list(int(n) for n in in_shape[:3])
    shape[p], shape[q] = plane_out
    eff = max(plane_out[0] / plane_in[0], plane_out[1] / plane_in[1])
    if eff > 16:
        check_scale(eff)
    return (shape[0], shape[1], shape[2]), eff


def _upscale(img, *, scale, size, axis, method, params, batch_size, dtype, progress):
    src = read_source(img)
    shape, eff = output_shape(src.raw.shape, axis=axis, scale=scale, size=size)
    check_batch_size(batch_size)
    store = storage_for(src, dtype)
    identity = shape == src.raw.shape
    if method is None:
        from mrisr.methods import default_method

        method = default_method(eff)
    fn = build_method(method, eff, params, identity)
    logger.info(
        "%s: %s -> %s along axis %d (x%.4g, %s)",
        src.label, src.raw.shape, shape, axis, eff, "identity" if identity else getattr(fn, "name", method),
    )
    data = process(src, shape, axis, fn, store, batch_size=batch_size, progress=progress)
    return src, data, store


def upscale_volume(
    img,
    *,
    scale: float | None = None,
    size: int | Sequence[int] | None = None,
    axis: int = 2,
    method: str | Any | None = None,
    params: dict | None = None,
    batch_size: int = 16,
    dtype: str = "input",
    progress: bool = True,
):
    """Super-resolve a 3-D volume slice by slice in-plane, keeping its geometry.

    Parameters
    ----------
    img : nibabel image
        A 3-D NIfTI (other nibabel formats are converted to NIfTI-1); a 4-D
        image with a trailing dimension of 1 counts as 3-D.
    scale : float, optional
        In-plane upscaling factor: 1 (identity) or in (1, 16].
    size : int or (int, int), optional
        In-plane output shape instead of ``scale`` (the two non-slice axes in
        their original order).
    axis : {0, 1, 2}, default 2
        Slice axis; it keeps its size, the other two are upscaled.
    method : str or callable, optional
        A method spec for :func:`mrisr.methods.make_method` (``'bicubic'``,
        ``'elrtv'``, ``'liif:CKPT'``...) or a ready method object; default
        mrisr's default at this scale (:func:`mrisr.methods.default_method`),
        as ``mrisr upscale`` without ``--method``.
    params : dict, optional
        Extra factory options for the method.
    batch_size : int, default 16
        Slices per method call (bounds memory).
    dtype : {'input', 'float32'}, default 'input'
        Keep the input's type (integers rounded and clipped) or return float32.
    progress : bool, default True
        Show a progress bar.

    Returns
    -------
    nibabel image
        Same class as the input (NIfTI-1 for other formats); in-plane voxel
        size divided by ``n_out / n_in``, same field of view, header kept (see
        the module notes on ``scl_slope``).

    Raises
    ------
    InputError
        Not 3-D, NaN/Inf voxels, non-numeric voxels.
    ValueError
        Bad scale, size, axis, dtype, batch size or method name.

    Examples
    --------
    >>> import nibabel as nib, numpy as np
    >>> vol = nib.Nifti1Image(np.random.rand(8, 8, 3).astype(np.float32), np.eye(4))
    >>> upscale_volume(vol, scale=2, method="bicubic", progress=False).shape
    (16, 16, 3)
    """
    src, data, store = _upscale(
        img, scale=scale, size=size, axis=axis, method=method, params=params,
        batch_size=batch_size, dtype=dtype, progress=progress,
    )
    return to_image(src, data, store, exact_scaling=False)


def upscale_volume_file(
    input_path: str | Path,
    output_path: str | Path,
    *,
    scale: float | None = None,
    size: int | Sequence[int] | None = None,
    axis: int = 2,
    method: str | None = None,
    params: dict | None = None,
    batch_size: int = 16,
    dtype: str = "input",
    progress: bool = True,
) -> Path:
    """Read a volume, upscale it in-plane (:func:`upscale_volume`), write NIfTI atomically.

    Parameters
    ----------
    input_path : str or Path
        ``.nii``/``.nii.gz`` file or a folder holding one DICOM series.
    output_path : str or Path
        ``.nii`` or ``.nii.gz`` destination; written under a temporary name
        and renamed, so a failure leaves nothing behind.
    scale, size, axis, method, params, batch_size, dtype, progress
        As in :func:`upscale_volume`. Integer volumes with ``scl_slope`` and
        ``scl_inter`` are written with the same slope and intercept.

    Returns
    -------
    Path
        ``output_path``.
    """
    output_path = Path(output_path)
    check_output_file(output_path, suffixes=NIFTI_SUFFIXES, inputs=[input_path])  # before any work
    img = read_volume(input_path)
    src, data, store = _upscale(
        img, scale=scale, size=size, axis=axis, method=method, params=params,
        batch_size=batch_size, dtype=dtype, progress=progress,
    )
    return write_volume(src, data, store, output_path)
