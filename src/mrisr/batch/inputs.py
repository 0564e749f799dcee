"""What a batch reads: a file, a folder searched recursively, or a list file, and where each output goes."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from mrisr.data.io import is_image_file, is_nifti_file
from mrisr.errors import InputError

#: a file with one of these suffixes is read as a list of inputs, one path a line
LIST_SUFFIXES = (".txt", ".lst", ".list")


@dataclass(frozen=True)
class Item:
    """One input of a batch.

    Attributes
    ----------
    source : Path
        The image, NIfTI file or DICOM series folder.
    rel : str
        Its path relative to the batch's root (POSIX separators): the key in
        the manifest and, with the output suffix, the output's place.
    """

    source: Path
    rel: str


def is_dicom_file(path: Path) -> bool:
    """A ``.dcm`` file, or a file with the DICOM preamble marker ``DICM`` at byte 128."""
    if path.suffix.lower() == ".dcm":
        return True
    if path.suffix or not path.is_file():
        return False
    try:
        with open(path, "rb") as fh:
            fh.seek(128)
            return fh.read(4) == b"DICM"
    except OSError:
        return False


def is_dicom_folder(path: Path) -> bool:
    """True when ``path`` is a folder holding DICOM files itself (one series: one volume)."""
    if not path.is_dir():
        return False
    return any(p.is_file() and not p.name.startswith(".") and is_dicom_file(p) for p in path.iterdir())


def is_list_file(path: Path) -> bool:
    """True for a file naming inputs (``.txt``, ``.lst``, ``.list``)."""
    return path.is_file() and path.suffix.lower() in LIST_SUFFIXES


def is_batch_input(path: str | Path) -> bool:
    """True when ``path`` names several inputs: a folder that is not one DICOM series, or a list file."""
    path = Path(path)
    return (path.is_dir() and not is_dicom_folder(path)) or is_list_file(path)


def _walk(root: Path, exclude: Path | None) -> list[Path]:
    found = []
    for folder, dirs, files in os.walk(root):
        here = Path(folder)
        dirs[:] = sorted(d for d in dirs if not d.startswith(".")
                         and (exclude is None or (here / d).absolute() != exclude))
        if here != root and is_dicom_folder(here):
            found.append(here)
            dirs[:] = []
            continue
        found += [here / f for f in sorted(files)
                  if not f.startswith(".") and (is_image_file(f) or is_nifti_file(f))]
    return found


def _listed(list_file: Path) -> list[Path]:
    """The paths a list file names; one that names nothing that exists is not a list of inputs."""
    try:
        lines = list_file.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError:
        raise InputError("not a list of input paths (not UTF-8 text)", list_file) from None
    entries = [ln.strip() for ln in lines if ln.strip() and not ln.strip().startswith("#")]
    paths = [p if p.is_absolute() else list_file.parent / p for p in map(Path, entries)]
    if paths and not any(p.exists() for p in paths):
        raise InputError(f"not a list of input paths: none of its {len(paths)} lines names an existing file "
                         f"(first: {entries[0][:60]!r})", list_file)
    return paths


def find_inputs(path: str | Path, *, exclude: str | Path | None = None) -> list[Item]:
    """The inputs ``path`` names, in a stable order.

    Parameters
    ----------
    path : str or Path
        An image (``.png``, ``.tif``, ``.tiff``), a NIfTI file, a DICOM series
        folder, a folder searched recursively for these (hidden names
        skipped; a folder holding DICOM files is one series), or a list file
        (``.txt``, ``.lst``, ``.list``: one path a line, relative to the list's
        folder; blank lines and ``#`` comments skipped).

    Returns
    -------
    list of Item
        ``rel`` is relative to the folder searched, or to the deepest folder
        holding every listed input.
    exclude : str or Path, optional
        A folder not to search (the output folder, when it lies inside ``path``).

    Raises
    ------
    InputError
        If ``path`` does not exist or names no input.
    """
    path = Path(path)
    if not path.exists():
        raise InputError("no such file or folder", path)
    if is_list_file(path):
        sources = _listed(path)
        root = Path(os.path.commonpath([p.absolute().parent for p in sources])) if sources else path.parent
        items = [Item(p, p.absolute().relative_to(root).as_posix()) for p in sources]
    elif path.is_dir() and not is_dicom_folder(path):
        skip = Path(exclude).absolute() if exclude is not None else None
        items = [Item(p, p.relative_to(path).as_posix()) for p in _walk(path, skip)]
    else:
        items = [Item(path, path.name)]
    if not items:
        raise InputError("no PNG, TIFF, NIfTI or DICOM input found", path)
    return items


def output_name(rel: str, suffix: str = "") -> str:
    """The output's relative path for input ``rel``: the same name with ``suffix`` before the extension.

    A DICOM series folder becomes a ``.nii.gz`` file of the folder's name.

    Examples
    --------
    >>> output_name("sub/a.nii.gz", "_sr")
    'sub/a_sr.nii.gz'
    >>> output_name("scan/series1", "")
    'scan/series1.nii.gz'
    """
    p = Path(rel)
    name = p.name
    if name.lower().endswith(".nii.gz"):
        stem, ext = name[:-7], name[-7:]
    elif is_image_file(name) or is_nifti_file(name):
        stem, ext = p.stem, p.suffix
    else:  # a DICOM series folder
        stem, ext = name, ".nii.gz"
    return (p.parent / f"{stem}{suffix}{ext}").as_posix()


def sha256_of(path: str | Path) -> str:
    """SHA-256 of a file, or of a folder's files (names and bytes, sorted by name)."""
    path = Path(path)
    digest = hashlib.sha256()
    files = sorted(p for p in path.iterdir() if p.is_file()) if path.is_dir() else [path]
    for f in files:
        if path.is_dir():
            digest.update(f.name.encode() + b"\0")
        with open(f, "rb") as fh:
            for block in iter(lambda fh=fh: fh.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()
