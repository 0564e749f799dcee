"""Build a paired HR/LR slice dataset from a folder of NIfTI volumes.

For each volume (IXI naming, e.g. ``IXI013-HH-1212-T2.nii.gz``):

1. reorient to the closest RAS+ orientation (so axis 2 is axial, 1 coronal,
   0 sagittal, whatever the storage order) and take the middle slice along
   ``axis``, displayed with superior/anterior up and the patient's right on
   the image's right;
2. normalise robustly: clip to the 0.5 and 99.5 percentiles of the non-zero
   voxels and rescale to [0, 1] (:func:`mrisr.data.io.robust_normalise`);
3. keep the physical aspect ratio (voxel sizes from the header): resize with
   anti-aliased bicubic so the longer side is ``size``, then zero-pad the
   shorter side to a ``size`` x ``size`` square;
4. quantise to 8 bits (what is stored) and make each LR image from that stored
   HR with a degradation from :data:`mrisr.data.degrade.DEGRADATIONS`.

Output follows the study layout: ``ROOT/<split>`` (HR) and ``ROOT/<split> x<s>``
(LR), 8-bit grey PNG named after the volume, plus ``ROOT/prepare.json`` (the
settings, every file's subject and split, and any skipped file).

Splits are by subject (``IXI\\d+`` prefix of the file name; other names are
their own subject): a hash of the seed and subject id picks the split, so all
volumes of a subject land together and adding subjects never moves existing
ones. The fractions are met in expectation, not exactly (a handful of
subjects may leave a split empty; this is logged as a warning).

Failure policy: a bad volume (unreadable, not 3-D, NaN/Inf, blank mid slice)
stops the run with a one-line error naming the file, unless ``skip_bad`` is
set, in which case it is skipped with a warning and listed in the manifest.
Nothing is written until every volume has been processed; the folders are
then written under a hidden staging folder and renamed into place, so a
failure leaves no partial dataset. Existing output folders are never
overwritten.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import tempfile
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from mrisr._atomic import check_output_dir
from mrisr.data.datasets import lr_folder
from mrisr.data.io import is_nifti_file, load_nifti, robust_normalise, volume_slice, write_image
from mrisr.data.resize import check_scale, resize
from mrisr.errors import InputError

logger = logging.getLogger(__name__)

SPLITS = ("train", "val", "test")
MANIFEST = "prepare.json"
_SUBJECT = re.compile(r"^(IXI\d+)", re.IGNORECASE)


# --------------------------------------------------------------------------- naming and splits


def volume_stem(path: str | Path) -> str:
    """File name without ``.nii``/``.nii.gz``."""
    name = Path(path).name
    return re.sub(r"\.nii(\.gz)?$", "", name, flags=re.IGNORECASE)


def subject_id(path: str | Path) -> str:
    """The ``IXI<digits>`` prefix of the file name, else the whole stem."""
    stem = volume_stem(path)
    m = _SUBJECT.match(stem)
    return m.group(1).upper() if m else stem


def assign_split(subject: str, fractions: Sequence[float] = (0.8, 0.1, 0.1), *, seed: int = 0) -> str:
    """Deterministic split for ``subject`` (``'train'``, ``'val'`` or ``'test'``).

    A SHA-256 of ``"<seed>:<subject>"`` gives a number ``u`` in [0, 1); the
    split is the first whose cumulative fraction exceeds ``u``. Each subject's
    split depends only on its own id and the seed.
    """
    digest = hashlib.sha256(f"{seed}:{subject}".encode()).digest()
    u = int.from_bytes(digest[:8], "big") / 2.0**64
    edges = np.cumsum(fractions)
    for name, edge in zip(SPLITS, edges, strict=True):
        if u < edge:
            return name
    return SPLITS[int(np.flatnonzero(np.asarray(fractions) > 0)[-1])]


def parse_fractions(text: str | Sequence[float]) -> tuple[float, float, float]:
    """``'0.8,0.1,0.1'`` -> (train, val, test) fractions, non-negative, summing to 1."""
    parts = text.split(",") if isinstance(text, str) else list(text)
    try:
        vals = tuple(float(p) for p in parts)
    except (TypeError, ValueError):
        raise ValueError(f"split must be three numbers like 0.8,0.1,0.1, got {text!r}") from None
    if len(vals) != 3 or min(vals) < 0 or not np.isclose(sum(vals), 1.0, atol=1e-6):
        raise ValueError(f"split must be three non-negative fractions summing to 1, got {text!r}")
    return vals  # type: ignore[return-value]


def parse_scales(text: str | Sequence[float]) -> tuple[float, ...]:
    """``'2,4'`` -> (2.0, 4.0); each must satisfy :func:`check_scale`; duplicates dropped."""
    parts = [p for p in text.split(",") if p.strip()] if isinstance(text, str) else list(text)
    if not parts:
        raise ValueError(f"scales must list at least one factor, got {text!r}")
    return tuple(sorted({check_scale(p) for p in parts}))


# --------------------------------------------------------------------------- one volume -> one slice


def prepare_slice(
    volume: np.ndarray,
    *,
    axis: int = 2,
    size: int = 256,
    zooms: Sequence[float] | None = None,
    percentiles: tuple[float, float] = (0.5, 99.5),
) -> np.ndarray:
    """Mid slice of ``volume``, robustly normalised, aspect kept, on a ``size`` square.

    Parameters
    ----------
    volume : numpy.ndarray
        3-D array (already oriented as wanted).
    axis : {0, 1, 2}
        Slice axis.
    size : int
        Output side length.
    zooms : sequence of float, optional
        Voxel sizes of ``volume`` (for the physical aspect ratio); isotropic if omitted.
    percentiles : (float, float)
        Robust clipping percentiles of the non-zero voxels.

    Returns
    -------
    numpy.ndarray
        (size, size) float32 in [0, 1], rotated for display (``np.rot90`` of
        the slice: its second axis runs bottom-to-top, its first left-to-right).
    """
    sl = np.rot90(volume_slice(volume, axis))
    sl = robust_normalise(sl, low=percentiles[0], high=percentiles[1])
    z = [1.0, 1.0, 1.0] if zooms is None else [float(v) for v in zooms]
    plane = [z[a] for a in range(3) if a != axis][::-1]  # rot90 swaps the in-plane axes
    extent = np.array(sl.shape) * np.array(plane)
    target = np.maximum(1, np.round(size * extent / extent.max())).astype(int)
    img = resize(sl, (int(target[0]), int(target[1])), kernel="bicubic", antialias=True, clip=True)
    out = np.zeros((size, size), dtype=np.float32)
    top, left = (size - target[0]) // 2, (size - target[1]) // 2
    out[top : top + target[0], left : left + target[1]] = img
    return out


def _volume_hr(path: Path, *, axis: int, size: int, canonical: bool, percentiles) -> np.ndarray:
    """The 8-bit HR slice of one volume (uint8); InputError names the file."""
    import nibabel as nib

    img = load_nifti(path, ndim=3)
    if canonical:
        try:
            img = nib.as_closest_canonical(img)
        except Exception as exc:  # degenerate affines make orientation undefined
            raise InputError(f"cannot reorient to RAS+ ({exc}); try --voxel-order", path) from None
    hr = prepare_slice(
        img.get_fdata(dtype=np.float32), axis=axis, size=size,
        zooms=img.header.get_zooms()[:3], percentiles=percentiles,
    )
    hr8 = np.round(hr * 255.0).astype(np.uint8)
    if not hr8.any():
        raise InputError(f"middle slice along axis {axis} is blank (all zero)", path)
    return hr8


# --------------------------------------------------------------------------- the dataset


@dataclass
class PrepareResult:
    """What :func:`prepare_dataset` wrote."""

    root: Path
    counts: dict[str, int]
    folders: list[str]
    skipped: list[dict[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class _Item:
    stem: str
    subject: str
    split: str
    source: Path
    hr: np.ndarray  # uint8 (size, size)


def find_volumes(folder: str | Path) -> list[Path]:
    """NIfTI files in ``folder`` (sorted; other files ignored).

    Raises
    ------
    InputError
        Missing folder, no NIfTI files, or two files with the same stem.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError("input folder not found", folder)
    vols = sorted(p for p in folder.iterdir() if p.is_file() and is_nifti_file(p) and not p.name.startswith("."))
    if not vols:
        raise InputError("no NIfTI volumes (.nii, .nii.gz) in folder", folder)
    stems: dict[str, Path] = {}
    for p in vols:
        if volume_stem(p) in stems:
            raise InputError(f"two volumes share the name {volume_stem(p)!r}: {stems[volume_stem(p)].name}", p)
        stems[volume_stem(p)] = p
    return vols


def _target_folders(splits: Sequence[str], scales: Sequence[float]) -> list[str]:
    names = []
    for split in splits:
        names.append(split)
        names.extend(lr_folder(".", split, s).name for s in scales)
    return names


def _check_free(root: Path, names: Sequence[str]) -> None:
    taken = [n for n in [*names, MANIFEST] if (root / n).exists()]
    if taken:
        shown = ", ".join(repr(n) for n in taken[:4]) + (" ..." if len(taken) > 4 else "")
        raise InputError(f"output already holds {shown}; remove it or choose another --out", root)


def _collect(volumes, *, fractions, seed, skip_bad, progress, **slice_opts):
    from tqdm.auto import tqdm

    items, skipped = [], []
    for path in tqdm(volumes, desc="volumes", unit="vol", disable=not progress, leave=False):
        try:
            hr = _volume_hr(path, **slice_opts)
        except InputError as exc:
            if not skip_bad:
                raise
            logger.warning("skipped %s", exc)
            skipped.append({"file": path.name, "error": str(exc)})
            continue
        subject = subject_id(path)
        items.append(_Item(volume_stem(path), subject, assign_split(subject, fractions, seed=seed), path, hr))
    if not items:
        raise InputError("no usable volumes (all were skipped)", volumes[0].parent)
    return items, skipped


def _write_items(stage: Path, items, scales, degradation: str) -> None:
    from mrisr.data.degrade import degrade

    for it in items:
        hr = it.hr.astype(np.float32) / 255.0
        (stage / it.split).mkdir(exist_ok=True)
        write_image(stage / it.split / f"{it.stem}.png", hr)
        for s in scales:
            folder = stage / lr_folder(".", it.split, s).name
            folder.mkdir(exist_ok=True)
            # random steps (noise) seeded per image and scale: reproducible, and not one noise field for all
            seed = zlib.crc32(f"{it.stem}:{s:g}".encode())
            write_image(folder / f"{it.stem}.png", degrade(hr, s, kind=degradation, seed=seed))


def _publish(stage: Path, root: Path, names: Sequence[str]) -> None:
    """Rename the staged folders (and manifest) into ``root``; undo on failure."""
    moved: list[str] = []
    try:
        for name in [*names, MANIFEST]:
            os.replace(stage / name, root / name)
            moved.append(name)
    except BaseException:
        for name in moved:
            os.replace(root / name, stage / name)
        raise


def prepare_dataset(
    input_dir: str | Path,
    out_root: str | Path,
    *,
    axis: int = 2,
    size: int = 256,
    scales: Sequence[float] | str = (2, 4),
    degradation: str = "bicubic",
    split: Sequence[float] | str = (0.8, 0.1, 0.1),
    seed: int = 0,
    skip_bad: bool = False,
    canonical: bool = True,
    percentiles: tuple[float, float] = (0.5, 99.5),
    progress: bool = True,
) -> PrepareResult:
    """Turn a folder of NIfTI volumes into HR/LR slice pairs in the study layout.

    Parameters
    ----------
    input_dir : str or Path
        Folder of ``.nii``/``.nii.gz`` volumes (other files are ignored).
    out_root : str or Path
        Dataset root (created if missing); its split folders must not exist yet.
    axis : {0, 1, 2}, default 2
        Slice axis (after RAS+ reorientation when ``canonical``: 2 = axial).
    size : int, default 256
        HR side length.
    scales : sequence of float or str, default (2, 4)
        LR factors (``'2,4'`` accepted); each in (1, 16].
    degradation : str, default 'bicubic'
        A name in :data:`mrisr.data.degrade.DEGRADATIONS`.
    split : sequence of float or str, default (0.8, 0.1, 0.1)
        Train/val/test fractions (by subject, in expectation).
    seed : int, default 0
        Changes the subject-to-split assignment.
    skip_bad : bool, default False
        Skip bad volumes with a warning instead of stopping.
    canonical : bool, default True
        Reorient to the closest RAS+ orientation first.
    percentiles : (float, float), default (0.5, 99.5)
        Robust normalisation clip points.
    progress : bool, default True
        Show a progress bar.

    Returns
    -------
    PrepareResult
        Image counts per split, the folders written, skipped files.

    Raises
    ------
    InputError
        Missing/empty input, a bad volume (unless ``skip_bad``), output folders
        that already exist.
    ValueError
        Bad axis, size, scales, degradation or split.
    """
    from mrisr.data.degrade import parse_degradation

    if isinstance(axis, bool) or axis not in (0, 1, 2):
        raise ValueError(f"axis must be 0, 1 or 2, got {axis!r}")
    if isinstance(size, bool) or not isinstance(size, int | np.integer) or size < 8:
        raise ValueError(f"size must be an integer >= 8, got {size!r}")
    scales, fractions = parse_scales(scales), parse_fractions(split)
    parse_degradation(degradation)
    root = check_output_dir(out_root)
    volumes = find_volumes(input_dir)
    planned = [s for s, f in zip(SPLITS, fractions, strict=True) if f > 0]
    if root.is_dir():
        _check_free(root, _target_folders(planned, scales))
    items, skipped = _collect(
        volumes, fractions=fractions, seed=seed, skip_bad=skip_bad, progress=progress,
        axis=axis, size=int(size), canonical=canonical, percentiles=tuple(percentiles),
    )
    counts = {s: sum(it.split == s for it in items) for s in SPLITS}
    for s in planned:
        if not counts[s]:
            logger.warning("split %r received no subjects (%d volumes in all)", s, len(items))
    used = [s for s in SPLITS if counts[s]]
    names = _target_folders(used, scales)
    settings = {
        "axis": axis, "size": int(size), "scales": list(scales), "degradation": degradation,
        "split": list(fractions), "seed": seed, "canonical": canonical,
        "percentiles": list(percentiles), "input": str(Path(input_dir).resolve()),
    }
    _write_dataset(root, names, items, scales, degradation, settings, skipped)
    return PrepareResult(root, counts, names, skipped)


def _write_dataset(root, names, items, scales, degradation, settings, skipped) -> None:
    from mrisr import __version__

    created = not root.exists()
    root.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=".mrisr-prepare-", dir=root))
    try:
        _check_free(root, names)
        _write_items(stage, items, scales, degradation)
        manifest = {
            "mrisr_version": __version__,
            "settings": settings,
            "files": [{"file": it.source.name, "subject": it.subject, "split": it.split} for it in items],
            "skipped": skipped,
        }
        (stage / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        _publish(stage, root, names)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        if created and not any(root.iterdir()):
            root.rmdir()
        raise
    shutil.rmtree(stage, ignore_errors=True)
    logger.info("wrote %d HR images and their LR at x%s to %s", len(items), scales, root)
