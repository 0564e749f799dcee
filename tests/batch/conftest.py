"""A small mixed study tree: PNG slices in nested folders, NIfTI volumes and bad files."""

from __future__ import annotations

from pathlib import Path

import nibabel as nib
import numpy as np
import pytest

from mrisr.data.io import write_image
from tests.conftest import phantom


def volume(path: Path, *, seed: int = 0, zooms=(1.0, 1.0, 3.0), shape=(12, 12, 3)) -> Path:
    """A small int16 NIfTI volume."""
    data = (np.stack([phantom(shape[:2], seed=seed + k) for k in range(shape[2])], -1) * 1000).astype(np.int16)
    path.parent.mkdir(parents=True, exist_ok=True)
    nib.save(nib.Nifti1Image(data, np.diag([*zooms, 1.0])), path)
    return path


def make_tree(root: Path, *, n_png: int = 3) -> Path:
    """ROOT/a/*.png, ROOT/b/deep/*.png, ROOT/b/vol 1.nii.gz, ROOT/a/corrupt.png, ROOT/a/empty.png, notes."""
    for i in range(n_png):
        folder = root / ("a" if i % 2 == 0 else "b/deep")
        folder.mkdir(parents=True, exist_ok=True)
        write_image(folder / f"slice {i}.png", phantom(16, seed=i), bits=16)
    volume(root / "b" / "vol 1.nii.gz")
    (root / "a" / "corrupt.png").write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    (root / "a" / "empty.png").write_bytes(b"")
    (root / "a" / "notes.json").write_text("{}")  # not an image: not an input
    (root / "a" / ".hidden.png").write_bytes(b"")  # hidden: not an input
    return root


@pytest.fixture
def tree(tmp_path) -> Path:
    return make_tree(tmp_path / "in")
