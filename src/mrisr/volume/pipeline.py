"""The shared steps of the volume pipelines (in-plane :mod:`mrisr.volume.core`, through-plane
:mod:`mrisr.volume.through_plane`).

Open a file or DICOM folder (:func:`read_volume`), validate the volume (:func:`read_source`), choose how output voxels are stored
(:func:`storage_for`), build the method (:func:`build_method`), run it on blocks of planes in [0, 1]
(:func:`apply_method`, :func:`process`) and wrap or write the result with the input's header
(:func:`to_image`, :func:`write_volume`). The header and intensity policy is described in
:mod:`mrisr.volume.core`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nibabel as nib
import numpy as np

from mrisr._atomic import atomic_path
from mrisr.data.inspect import fullest
from mrisr.data.io import is_nifti_file, load_nifti
from mrisr.errors import InputError
from mrisr.volume.geometry import voxel_map
from mrisr.volume.intensity import IntensityMap, encode

logger = logging.getLogger(__name__)

#: Output voxel types: the input's own, or float32.
DTYPES = ("input", "float32")


@dataclass(frozen=True)
class Source:
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
class Storage:
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


def read_source(img: Any) -> Source:
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
    return Source(img, raw, slope, inter, path)



def check_batch_size(batch_size: Any) -> None:
    """Raise ``ValueError`` unless ``batch_size`` is a positive integer."""
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")


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


def storage_for(src: Source, dtype: str) -> Storage:
    """How output voxels are stored for ``dtype`` (one of :data:`DTYPES`).

    Raises
    ------
    ValueError
        An unknown ``dtype``.
    """
    if dtype not in DTYPES:
        raise ValueError(f"dtype must be one of {', '.join(DTYPES)}, got {dtype!r}")
    disk = np.dtype(src.img.get_data_dtype())
    if dtype == "float32":
        return Storage(np.dtype(np.float32), 1.0, 0.0, np.dtype(np.float32))
    if src.raw.dtype.kind == "f":
        return Storage(src.raw.dtype, 1.0, 0.0, disk)
    return Storage(src.raw.dtype, src.slope, src.inter, disk)


def build_method(method: Any, scale: float, params: dict | None, identity: bool):
    """A method object (``None`` for the identity path); names are validated either way.

    Parameters
    ----------
    method : str or callable
        A method spec for :func:`mrisr.methods.make_method` or a ready method object.
    scale : float
        The in-plane factor the method is built for.
    params : dict, optional
        Extra factory options.
    identity : bool
        The output shape equals the input's: nothing is built (the name is still checked, and a
        through-plane-only method is refused by its record).
    """
    if callable(method):
        return None if identity else method
    from mrisr.methods import make_method, method_info

    if identity:
        method_info(method, in_plane=True)
        return None
    return make_method(method, scale=scale, params=params)


def apply_method(fn, block: np.ndarray, plane_out: tuple[int, int], imap: IntensityMap, src: Source) -> np.ndarray:
    """The method's [0, 1] output for a block of stored planes, checked for shape and finiteness.

    Parameters
    ----------
    fn : callable
        The method: ``fn(lr (B, h, w) in [0, 1], plane_out) -> (B, *plane_out)``.
    block : numpy.ndarray
        (B, h, w) stored (unscaled) voxel values of ``src``.
    plane_out : (int, int)
        Output plane shape.
    imap : IntensityMap
        Physical units <-> [0, 1].
    src : Source
        The volume (for its slope and intercept).

    Raises
    ------
    ValueError
        The method returned a wrong shape or NaN/Inf values.
    """
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
        phys = imap.from_unit(apply_method(fn, block, plane_out, imap, src))
    return encode(phys, store.dtype, slope=store.slope, inter=store.inter)


#: a method that reads its input (``pin_reading``, e.g. liif-blind) reads a volume on this many fullest planes
PIN_PLANES = 5


def process(src: Source, out_shape: tuple[int, int, int], axis: int, fn, store: Storage, *, batch_size: int,
            progress: bool) -> np.ndarray:
    """Run ``fn`` on the planes across ``axis`` in batches and return the stored output voxels.

    Parameters
    ----------
    src : Source
        The volume.
    out_shape : tuple of int
        Output shape (``axis`` keeps its size).
    axis : int
        The slice axis.
    fn : callable or None
        The method (see :func:`apply_method`); ``None`` copies the stored values (identity).
    store : Storage
        Output voxel storage.
    batch_size : int
        Planes per method call.
    progress : bool
        Show a progress bar.
    """
    from tqdm.auto import tqdm

    imap = IntensityMap.from_raw(src.raw, slope=src.slope, inter=src.inter)
    logger.info("%s: intensity map [%g, %g] -> [0, 1]", src.label, imap.lo, imap.hi)
    out = np.empty(out_shape, dtype=store.dtype)
    view_in, view_out = np.moveaxis(src.raw, axis, 0), np.moveaxis(out, axis, 0)
    plane_out = view_out.shape[1:]
    n = view_in.shape[0]
    pin = getattr(fn, "pin_reading", None) if fn is not None else None
    if pin is not None:  # one reading of how the volume was acquired, not one per batch
        planes = view_in[fullest(view_in, PIN_PLANES)]
        pin(imap.to_unit(planes.astype(np.float64) * src.slope + src.inter), plane_out)
    try:
        with tqdm(total=n, unit="slice", desc="upscaling", disable=not progress, leave=False) as bar:
            for start in range(0, n, batch_size):
                stop = min(start + batch_size, n)
                view_out[start:stop] = _run_batch(view_in[start:stop], fn, plane_out, imap, src, store)
                bar.update(stop - start)
    finally:
        if pin is not None:
            pin(None, plane_out)  # a method object given by the caller reads its next inputs itself again
    return out


def to_image(src: Source, data: np.ndarray, store: Storage, *, exact_scaling: bool):
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


def write_volume(src: Source, data: np.ndarray, store: Storage, output_path: Path) -> Path:
    """Save the result atomically with the input's header and exact integer scaling."""
    out = to_image(src, data, store, exact_scaling=True)
    with atomic_path(output_path) as tmp:
        nib.save(out, str(tmp))
    logger.info("wrote %s %s (%s)", output_path, out.shape, out.get_data_dtype())
    return output_path
