"""Image and volume I/O.

2-D images (PNG, TIFF; 8 or 16 bit; grey, RGB or RGBA) are read as float32
arrays in [0, 1]. An RGB(A) image whose colour channels are equal is grey (the
IXI HR PNGs are RGBA with R=G=B); differing channels are converted to luminance
(ITU-R BT.601) with a warning. NIfTI volumes are read through nibabel.
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

import numpy as np

from mrisr._atomic import atomic_path
from mrisr._outputs import check_output_file
from mrisr.errors import InputError

logger = logging.getLogger(__name__)

IMAGE_SUFFIXES = (".png", ".tif", ".tiff")
NIFTI_SUFFIXES = (".nii", ".nii.gz")

_LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float64)


def is_image_file(path: str | Path) -> bool:
    """True when ``path`` has a 2-D image suffix we read (PNG, TIFF)."""
    return Path(path).suffix.lower() in IMAGE_SUFFIXES


def is_nifti_file(path: str | Path) -> bool:
    """True when ``path`` ends in ``.nii`` or ``.nii.gz``."""
    name = Path(path).name.lower()
    return name.endswith(".nii") or name.endswith(".nii.gz")


def _to_unit_float(arr: np.ndarray, path: Path) -> np.ndarray:
    if arr.dtype == np.uint8:
        return arr.astype(np.float32) / 255.0
    if arr.dtype in (np.uint16, np.int32, np.uint32) or arr.dtype.kind in "iu":
        # PIL gives 16-bit PNG/TIFF as int32 ("I") or uint16 ("I;16").
        return np.clip(arr.astype(np.float64) / 65535.0, 0.0, 1.0).astype(np.float32)
    if arr.dtype == np.bool_:
        return arr.astype(np.float32)
    if arr.dtype.kind == "f":
        arr = arr.astype(np.float32)
        if not np.isfinite(arr).all():
            raise InputError("image contains NaN or Inf values", path)
        if arr.min() < 0.0 or arr.max() > 1.0:
            raise InputError(
                f"floating-point image outside [0, 1] (range {arr.min():.3g}..{arr.max():.3g})", path
            )
        return arr
    raise InputError(f"unsupported pixel type {arr.dtype}", path)


def _grey(arr: np.ndarray, path: Path) -> np.ndarray:
    """Collapse (H, W, C) unit-float colour to (H, W) grey; equal channels are kept exactly."""
    if arr.ndim == 2:
        return arr
    if arr.ndim != 3 or arr.shape[2] not in (2, 3, 4):
        raise InputError(f"unsupported image shape {arr.shape}", path)
    if arr.shape[2] in (2, 4) and arr[..., -1].min() != arr[..., -1].max():
        warnings.warn(f"{path}: varying transparency (alpha channel) ignored; pixel values used as stored",
                      stacklevel=3)
    if arr.shape[2] == 2:  # grey + alpha
        return arr[..., 0]
    rgb = arr[..., :3]
    if np.array_equal(rgb[..., 0], rgb[..., 1]) and np.array_equal(rgb[..., 0], rgb[..., 2]):
        return rgb[..., 0]
    warnings.warn(f"{path}: colour image with differing channels converted to luminance", stacklevel=3)
    return (rgb.astype(np.float64) @ _LUMA).astype(np.float32)


def _is_colour16(im) -> bool:
    """True for 16-bit RGB(A) files, which Pillow decodes at 8 bits per channel."""
    tile = getattr(im, "tile", None) or []
    args = tile[0].args if tile and hasattr(tile[0], "args") else None
    rawmode = args[0] if isinstance(args, tuple) and args else args
    return im.mode in ("RGB", "RGBA") and isinstance(rawmode, str) and ";16" in rawmode


def read_image(path: str | Path, *, allow_blank: bool = False) -> np.ndarray:
    """Read a 2-D image as a float32 grey array in [0, 1].

    Parameters
    ----------
    path : str or Path
        PNG or TIFF file, 8 or 16 bit, grey/RGB/RGBA.
    allow_blank : bool, default False
        Accept an image whose pixels are all zero (refused by default: an
        all-zero MRI slice is almost always an export mistake).

    Returns
    -------
    numpy.ndarray
        Shape (H, W), dtype float32, values in [0, 1].

    Raises
    ------
    InputError
        Missing, empty, corrupt, non-image or all-zero file.
    """
    from PIL import Image, UnidentifiedImageError

    path = Path(path)
    if not path.exists():
        raise InputError("file not found", path)
    if path.is_dir():
        raise InputError("is a folder, expected an image file", path)
    if path.stat().st_size == 0:
        raise InputError("file is empty", path)
    try:
        with Image.open(path) as im:
            if _is_colour16(im):
                warnings.warn(
                    f"{path}: 16-bit colour image read at 8-bit precision (Pillow limitation); "
                    "save MRI as 16-bit grey to keep full precision",
                    stacklevel=2,
                )
            im.load()
            if im.mode in ("P", "PA"):
                im = im.convert("RGBA")
            elif im.mode in ("CMYK", "YCbCr", "LAB", "HSV"):
                im = im.convert("RGB")
            arr = np.array(im)
    except UnidentifiedImageError:
        raise InputError("not a readable image (unknown or corrupt format)", path) from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise InputError(f"corrupt image ({exc})", path) from None
    if arr.size == 0:
        raise InputError("image has no pixels", path)
    arr = _grey(_to_unit_float(arr, path), path)
    if not allow_blank and not arr.any():
        raise InputError("image is all zeros", path)
    return np.ascontiguousarray(arr, dtype=np.float32)


def write_image(path: str | Path, image: np.ndarray, *, bits: int = 8) -> Path:
    """Write a grey float image in [0, 1] to PNG or TIFF, atomically.

    Parameters
    ----------
    path : str or Path
        Destination; the format follows the suffix (``.png``, ``.tif``).
    image : numpy.ndarray
        Shape (H, W); values are clipped to [0, 1] and rounded.
    bits : {8, 16}
        Bit depth of the written file.

    Returns
    -------
    Path
        ``path``.
    """
    from PIL import Image

    path = Path(path)
    if bits not in (8, 16):
        raise ValueError(f"bits must be 8 or 16, got {bits!r}")
    check_output_file(path, suffixes=IMAGE_SUFFIXES)
    image = np.asarray(image)
    if image.ndim != 2:
        raise ValueError(f"expected a 2-D grey image, got shape {image.shape}")
    dtype, top = (np.uint8, 255.0) if bits == 8 else (np.uint16, 65535.0)  # PIL modes "L" and "I;16"
    q = np.empty(image.shape, dtype=dtype)
    for r in range(0, image.shape[0], 1024):  # in row blocks: no float64 copies of a large image
        x = np.clip(np.nan_to_num(image[r : r + 1024].astype(np.float64)), 0.0, 1.0)
        q[r : r + 1024] = np.round(x * top)
    pil = Image.fromarray(q)
    fmt = "PNG" if path.suffix.lower() == ".png" else "TIFF"
    with atomic_path(path) as tmp:
        pil.save(tmp, format=fmt)
    return path


# --------------------------------------------------------------------------- NIfTI


def load_nifti(path: str | Path, *, ndim: int | None = 3):
    """Load a NIfTI image with nibabel and check it.

    Parameters
    ----------
    path : str or Path
        ``.nii`` or ``.nii.gz`` file.
    ndim : int or None, default 3
        Required number of dimensions (trailing singleton dimensions beyond
        ``ndim`` are squeezed); ``None`` accepts any.

    Returns
    -------
    nibabel.Nifti1Image
        The image (data not yet loaded into memory beyond the check).

    Raises
    ------
    InputError
        Missing/unreadable file, wrong dimensionality, NaN/Inf voxels.
    """
    import nibabel as nib

    path = Path(path)
    if not path.exists():
        raise InputError("file not found", path)
    if not is_nifti_file(path):
        raise InputError("expected a NIfTI file (.nii or .nii.gz)", path)
    try:
        img = nib.load(str(path))
        data = np.asanyarray(img.dataobj)
    except Exception as exc:  # nibabel raises many types for broken files
        raise InputError(f"cannot read NIfTI ({type(exc).__name__}: {exc})", path) from None
    if ndim is not None:
        while data.ndim > ndim and data.shape[-1] == 1:
            data = data[..., 0]
        if data.ndim != ndim:
            raise InputError(f"expected a {ndim}-D volume, got shape {tuple(data.shape)}", path)
        if data.shape != img.shape:
            img = nib.Nifti1Image(data, img.affine, img.header)
    if data.dtype.kind == "f" and not np.isfinite(data).all():
        n = int((~np.isfinite(data)).sum())
        raise InputError(f"volume contains {n} NaN/Inf voxels", path)
    return img


def volume_slice(volume: np.ndarray, axis: int = 2, index: int | None = None) -> np.ndarray:
    """Return a 2-D slice of a 3-D array along ``axis`` (middle slice by default).

    The slice is returned as (rows, cols) with the remaining two axes in their
    original order.
    """
    volume = np.asarray(volume)
    if volume.ndim != 3:
        raise ValueError(f"expected a 3-D volume, got shape {volume.shape}")
    if axis not in (0, 1, 2):
        raise ValueError(f"axis must be 0, 1 or 2, got {axis!r}")
    n = volume.shape[axis]
    index = n // 2 if index is None else index
    if not 0 <= index < n:
        raise ValueError(f"slice index {index} out of range for axis {axis} of size {n}")
    return np.take(volume, index, axis=axis)


def robust_normalise(image: np.ndarray, *, low: float = 0.5, high: float = 99.5) -> np.ndarray:
    """Clip to the [low, high] percentiles and rescale to [0, 1] (float32).

    Percentiles are taken over non-zero voxels when there are any, so a large
    zero background does not pull the lower bound to 0.
    """
    x = np.asarray(image, dtype=np.float64)
    fg = x[x != 0]
    vals = fg if fg.size else x.ravel()
    lo, hi = np.percentile(vals, [low, high])
    lo = min(lo, 0.0) if x.min() >= 0 else lo
    if hi <= lo:
        return np.zeros_like(x, dtype=np.float32)
    return np.clip((x - lo) / (hi - lo), 0.0, 1.0).astype(np.float32)
