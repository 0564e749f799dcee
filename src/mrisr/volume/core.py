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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nibabel as nib
import numpy as np

from mrisr._atomic import atomic_path
from mrisr._outputs import check_output_file
from mrisr.data.io import NIFTI_SUFFIXES, is_nifti_file, load_nifti
from mrisr.data.resize import check_scale, scaled_shape
from mrisr.errors import InputError
from mrisr.volume.geometry import voxel_map
from mrisr.volume.intensity import IntensityMap, encode

logger = logging.getLogger(__name__)

DTYPES = ("input", "float32")


@dataclass(frozen=True)
class _Source:
    """A validated 3-D volume: stored values plus the scaling to physical units."""

    img: Any  # nibabel Nifti1Pair (or subclass)
    raw: np.ndarray
    slope: float
    inter: float
    path: Path | None

    @property
    def label(self) -> str:
        return str(self.path) if self.path else "volume"


@dataclass(frozen=True)
class _Storage:
    """How output voxels are stored: array dtype, grid, on-disk dtype."""

    dtype: np.dtype
    slope: float
    inter: float
    disk_dtype: np.dtype

    @property
    def scaled(self) -> bool:
        return self.dtype.kind in "iu" and (self.slope, self.inter) != (1.0, 0.0)


def _fail(message: str, path: Path | None) -> InputError:
    return InputError(message, path) if path else InputError(f"volume: {message}")


def _source(img: Any) -> _Source:
    """Validate ``img`` (3-D after squeezing trailing singletons, finite, numeric)."""
    if not isinstance(img, nib.spatialimages.SpatialImage):
        raise TypeError(f"expected a nibabel image, got {type(img).__name__}")
    name = img.get_filename()
    path = Path(name) if name else None
    if not isinstance(img, nib.Nifti1Pair):
        img = nib.Nifti1Image.from_image(img)
    shape = tuple(img.shape)
    while len(shape) > 3 and shape[-1] == 1:
        shape = shape[:-1]
    if len(shape) != 3:
        hint = "; split it into 3-D volumes first" if len(shape) > 3 else ""
        raise _fail(f"expected a 3-D volume, got {len(shape)}-D shape {shape}{hint}", path)
    obj = img.dataobj
    if nib.is_proxy(obj) and hasattr(obj, "get_unscaled"):
        raw = np.asanyarray(obj.get_unscaled())
        slope, inter = float(getattr(obj, "slope", 1.0)), float(getattr(obj, "inter", 0.0))
    else:
        raw, slope, inter = np.asanyarray(obj), 1.0, 0.0
    raw = np.asarray(raw).reshape(shape)
    if raw.dtype.kind not in "iuf":
        raise _fail(f"unsupported voxel type {raw.dtype} (need integer or float)", path)
    if raw.dtype.kind == "f" and not np.isfinite(raw).all():
        raise _fail(f"volume contains {int((~np.isfinite(raw)).sum())} NaN/Inf voxels", path)
    if not (np.isfinite(slope) and np.isfinite(inter) and slope != 0):
        slope, inter = 1.0, 0.0
    return _Source(img, raw, slope, inter, path)


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


def check_batch_size(batch_size: Any) -> None:
    """Raise ``ValueError`` unless ``batch_size`` is a positive integer."""
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")


def _storage(src: _Source, dtype: str) -> _Storage:
    if dtype not in DTYPES:
        raise ValueError(f"dtype must be one of {', '.join(DTYPES)}, got {dtype!r}")
    disk = np.dtype(src.img.get_data_dtype())
    if dtype == "float32":
        return _Storage(np.dtype(np.float32), 1.0, 0.0, np.dtype(np.float32))
    if src.raw.dtype.kind == "f":
        return _Storage(src.raw.dtype, 1.0, 0.0, disk)
    return _Storage(src.raw.dtype, src.slope, src.inter, disk)


def _build_method(method: Any, scale: float, params: dict | None, identity: bool):
    """A method object (``None`` for the identity path); names are validated either way (a through-plane-only
    method is refused by its record)."""
    if callable(method):
        return None if identity else method
    from mrisr.methods import make_method, method_info

    if identity:
        method_info(method, in_plane=True)
        return None
    return make_method(method, scale=scale, params=params)


def _apply(fn, block, plane_out, imap: IntensityMap, src: _Source) -> np.ndarray:
    """The method's [0, 1] output for a block of stored planes, checked for shape and finiteness."""
    sr = np.asarray(fn(imap.to_unit(block.astype(np.float64) * src.slope + src.inter), plane_out))
    if sr.shape != (block.shape[0], *plane_out):
        raise ValueError(f"method returned shape {sr.shape}, expected {(block.shape[0], *plane_out)}")
    if not np.isfinite(sr).all():
        raise ValueError("method returned NaN/Inf values")
    return sr


def _run_batch(block, fn, plane_out, imap, src, store) -> np.ndarray:
    if fn is None:
        phys = block.astype(np.float64) * src.slope + src.inter
    else:
        phys = imap.from_unit(_apply(fn, block, plane_out, imap, src))
    return encode(phys, store.dtype, slope=store.slope, inter=store.inter)


def _process(src, out_shape, axis, fn, store, *, batch_size: int, progress: bool) -> np.ndarray:
    from tqdm.auto import tqdm

    imap = IntensityMap.from_raw(src.raw, slope=src.slope, inter=src.inter)
    logger.info("%s: intensity map [%g, %g] -> [0, 1]", src.label, imap.lo, imap.hi)
    out = np.empty(out_shape, dtype=store.dtype)
    view_in, view_out = np.moveaxis(src.raw, axis, 0), np.moveaxis(out, axis, 0)
    plane_out = view_out.shape[1:]
    n = view_in.shape[0]
    with tqdm(total=n, unit="slice", desc="upscaling", disable=not progress, leave=False) as bar:
        for start in range(0, n, batch_size):
            stop = min(start + batch_size, n)
            view_out[start:stop] = _run_batch(view_in[start:stop], fn, plane_out, imap, src, store)
            bar.update(stop - start)
    return out


def _image(src: _Source, data: np.ndarray, store: _Storage, *, exact_scaling: bool):
    """Wrap ``data`` (stored values) in an image of the input's class and header."""
    img = src.img
    t = voxel_map(src.raw.shape, data.shape)
    hdr = img.header.copy()
    zooms = np.asarray(hdr.get_zooms()[:3], dtype=np.float64) * np.diag(t)[:3]
    scode, qcode = int(hdr["sform_code"]), int(hdr["qform_code"])
    sform, qform = img.get_sform(coded=False), img.get_qform(coded=False)
    if store.scaled and not exact_scaling:
        fdt = np.float32 if store.dtype.itemsize <= 2 else np.float64
        data = (data.astype(fdt) * fdt(store.slope) + fdt(store.inter)).astype(fdt)
    out = type(img)(data, img.affine @ t, header=hdr)
    out.set_qform(qform @ t, code=qcode, update_affine=False)
    out.header.set_zooms(tuple(zooms))
    out.set_sform(sform @ t, code=scode)  # last: refreshes out.affine from the final header
    out.set_data_dtype(store.disk_dtype)
    if store.scaled and exact_scaling:
        out.header.set_slope_inter(store.slope, store.inter)
    return out


def _upscale(img, *, scale, size, axis, method, params, batch_size, dtype, progress):
    src = _source(img)
    shape, eff = output_shape(src.raw.shape, axis=axis, scale=scale, size=size)
    check_batch_size(batch_size)
    store = _storage(src, dtype)
    identity = shape == src.raw.shape
    fn = _build_method(method, eff, params, identity)
    logger.info(
        "%s: %s -> %s along axis %d (x%.4g, %s)",
        src.label, src.raw.shape, shape, axis, eff, "identity" if identity else getattr(fn, "name", method),
    )
    data = _process(src, shape, axis, fn, store, batch_size=batch_size, progress=progress)
    return src, data, store


def upscale_volume(
    img,
    *,
    scale: float | None = None,
    size: int | Sequence[int] | None = None,
    axis: int = 2,
    method: str | Any = "bicubic",
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
    method : str or callable, default 'bicubic'
        A method spec for :func:`mrisr.methods.make_method` (``'bicubic'``,
        ``'elrtv'``, ``'liif:CKPT'``...) or a ready method object.
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
    >>> upscale_volume(vol, scale=2, progress=False).shape
    (16, 16, 3)
    """
    src, data, store = _upscale(
        img, scale=scale, size=size, axis=axis, method=method, params=params,
        batch_size=batch_size, dtype=dtype, progress=progress,
    )
    return _image(src, data, store, exact_scaling=False)


def read_volume(path: str | Path):
    """Open a NIfTI file or a DICOM series folder as a nibabel image.

    Raises
    ------
    InputError
        Missing path, a file that is neither ``.nii`` nor ``.nii.gz``, an
        unreadable file or series, NaN/Inf voxels.
    """
    path = Path(path)
    if path.is_dir():
        from mrisr.volume.dicom import read_dicom_series

        return read_dicom_series(path)
    if path.exists() and not is_nifti_file(path):
        raise InputError("expected a .nii/.nii.gz file or a DICOM series folder", path)
    return load_nifti(path, ndim=None)


def upscale_volume_file(
    input_path: str | Path,
    output_path: str | Path,
    *,
    scale: float | None = None,
    size: int | Sequence[int] | None = None,
    axis: int = 2,
    method: str = "bicubic",
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
    return _write(src, data, store, output_path)


def _write(src: _Source, data: np.ndarray, store: _Storage, output_path: Path) -> Path:
    """Save the result atomically with the input's header and exact integer scaling."""
    out = _image(src, data, store, exact_scaling=True)
    with atomic_path(output_path) as tmp:
        nib.save(out, str(tmp))
    logger.info("wrote %s %s (%s)", output_path, out.shape, out.get_data_dtype())
    return output_path
