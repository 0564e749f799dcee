"""DICOM series in (a folder of single-frame slices), NIfTI image out.

Small on purpose: one series per folder, single-frame images with
ImagePositionPatient, ImageOrientationPatient and PixelSpacing, uniform slice
spacing. Enhanced multi-frame files, mosaics and mixed series are refused
with a one-line error; convert those with dcm2niix first.

The array is indexed ``[column, row, slice]`` (the usual NIfTI layout) and the
affine maps it to RAS+ world coordinates (DICOM's LPS with x and y negated);
qform and sform both get code 1 (scanner). Stored values are kept as integers
when every slice has RescaleSlope 1 and RescaleIntercept 0; otherwise the
physical values ``stored * slope + intercept`` are held as float32 and the
header asks for the original integer type on save (nibabel picks the scaling).

Requires the optional dependency pydicom (``pip install 'mrisr[dicom]'``).
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from mrisr.errors import InputError

logger = logging.getLogger(__name__)

_LPS_TO_RAS = np.diag([-1.0, -1.0, 1.0, 1.0])
_SPACING_TOL = 0.01  # relative deviation allowed between slice gaps


def _pydicom(folder: Path):
    try:
        import pydicom
    except ImportError:
        raise InputError(
            "reading DICOM needs the optional dependency pydicom: pip install 'mrisr[dicom]'", folder
        ) from None
    return pydicom


def _read_headers(folder: Path) -> list:
    pydicom = _pydicom(folder)
    slices = []
    for path in sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")):
        try:
            ds = pydicom.dcmread(path)
        except pydicom.errors.InvalidDicomError:
            logger.info("%s: not DICOM, skipped", path)
            continue
        except Exception as exc:  # truncated or corrupt files raise many types
            raise InputError(f"cannot read DICOM ({type(exc).__name__}: {exc})", path) from None
        if "PixelData" in ds:
            slices.append((path, ds))
    if not slices:
        raise InputError("no DICOM images in folder", folder)
    series = {str(ds.get("SeriesInstanceUID", "")) for _, ds in slices}
    if len(series) > 1:
        raise InputError(f"folder holds {len(series)} DICOM series; give one series per folder", folder)
    return slices


def _geometry(path: Path, ds) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Row cosine, column cosine and position of one slice (LPS, mm)."""
    try:
        iop = np.asarray(ds.ImageOrientationPatient, dtype=np.float64)
        ipp = np.asarray(ds.ImagePositionPatient, dtype=np.float64)
        _ = ds.PixelSpacing
    except AttributeError as exc:
        raise InputError(f"DICOM geometry missing ({exc})", path) from None
    if iop.shape != (6,) or ipp.shape != (3,):
        raise InputError("malformed ImageOrientationPatient/ImagePositionPatient", path)
    if int(ds.get("NumberOfFrames", 1) or 1) > 1:
        raise InputError("multi-frame DICOM is not supported; convert with dcm2niix", path)
    return iop[:3], iop[3:], ipp


def _sorted_slices(slices: list) -> tuple[list, np.ndarray, np.ndarray, np.ndarray]:
    path0, ds0 = slices[0]
    row, col, _ = _geometry(path0, ds0)
    normal = np.cross(row, col)
    geo = []
    for path, ds in slices:
        r, c, pos = _geometry(path, ds)
        if not (np.allclose(r, row, atol=1e-4) and np.allclose(c, col, atol=1e-4)):
            raise InputError("slice orientation differs from the rest of the series", path)
        geo.append((float(pos @ normal), pos, path, ds))
    geo.sort(key=lambda g: g[0])
    return [(g[2], g[3]) for g in geo], np.array([g[1] for g in geo]), row, col


def _slice_step(folder: Path, positions: np.ndarray, normal: np.ndarray, ds0) -> np.ndarray:
    if len(positions) == 1:
        gap = float(ds0.get("SpacingBetweenSlices", 0) or ds0.get("SliceThickness", 0) or 1.0)
        return normal * gap
    gaps = np.diff(positions @ normal)
    if gaps.min() <= 0:
        raise InputError("two slices share a position (duplicate or mixed acquisitions)", folder)
    if gaps.max() - gaps.min() > _SPACING_TOL * gaps.mean():
        raise InputError(f"non-uniform slice spacing ({gaps.min():.4g} to {gaps.max():.4g} mm)", folder)
    return (positions[-1] - positions[0]) / (len(positions) - 1)


def _stack(slices: list) -> tuple[np.ndarray, np.dtype | None]:
    """``[col, row, slice]`` array, and the stored type when slices are rescaled.

    Rescaled series come back as physical float32 values.
    """
    planes, scaled = [], False
    for path, ds in slices:
        try:
            px = ds.pixel_array
        except Exception as exc:  # missing codec, truncated data
            raise InputError(f"cannot decode pixel data ({type(exc).__name__}: {exc})", path) from None
        if px.ndim != 2:
            raise InputError(f"expected a 2-D grey slice, got pixel shape {px.shape}", path)
        slope, inter = float(ds.get("RescaleSlope", 1) or 1), float(ds.get("RescaleIntercept", 0) or 0)
        scaled |= (slope, inter) != (1.0, 0.0)
        planes.append((px, slope, inter))
    shapes = {p[0].shape for p in planes}
    if len(shapes) > 1:
        raise InputError(f"slices differ in size: {sorted(shapes)}", slices[0][0].parent)
    if scaled:
        data = np.stack([px.astype(np.float32) * s + i for px, s, i in planes], axis=-1)
    else:
        data = np.stack([px for px, _, _ in planes], axis=-1)
    stored = planes[0][0].dtype if scaled else None
    return np.ascontiguousarray(np.swapaxes(data, 0, 1)), stored


def read_dicom_series(folder: str | Path):
    """Read one DICOM series folder as a :class:`nibabel.Nifti1Image`.

    Parameters
    ----------
    folder : str or Path
        Folder holding the series' single-frame files (other files are skipped).

    Returns
    -------
    nibabel.Nifti1Image
        Shape (columns, rows, slices); RAS+ affine; qform/sform code 1;
        units mm. The series' SliceThickness (mm), when given, is in
        ``img.extra["slice_thickness"]``.

    Raises
    ------
    InputError
        pydicom missing, no DICOM files, several series, missing or
        inconsistent geometry, non-uniform slice spacing, undecodable pixels.
    """
    import nibabel as nib

    folder = Path(folder)
    if not folder.is_dir():
        raise InputError("DICOM folder not found", folder)
    slices, positions, row, col = _sorted_slices(_read_headers(folder))
    ds0 = slices[0][1]
    dr, dc = (float(v) for v in ds0.PixelSpacing)  # row spacing, column spacing
    step = _slice_step(folder, positions, np.cross(row, col), ds0)
    lps = np.eye(4)
    lps[:3, 0], lps[:3, 1], lps[:3, 2], lps[:3, 3] = row * dc, col * dr, step, positions[0]
    affine = _LPS_TO_RAS @ lps
    data, stored = _stack(slices)
    img = nib.Nifti1Image(data, affine)
    img.set_qform(affine, code=1)
    img.set_sform(affine, code=1)
    img.header.set_xyzt_units("mm")
    if stored is not None:
        img.set_data_dtype(stored)
    descr = str(ds0.get("SeriesDescription", ""))[:79]
    img.header["descrip"] = descr.encode("ascii", "replace")
    thickness = ds0.get("SliceThickness", None)
    if thickness not in (None, "") and float(thickness) > 0:
        img.extra["slice_thickness"] = float(thickness)  # mm along axis 2; used by through-plane SR
    logger.info("%s: %d DICOM slices -> %s", folder, len(slices), data.shape)
    return img
