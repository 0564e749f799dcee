"""Shared fixtures: small synthetic MRI-like images and study-layout datasets.

The study layout is ``ROOT/<split>`` (HR) plus ``ROOT/<split> x<s>`` (LR, same
file names); folder names contain spaces, as published. Tests in any folder
can use the fixtures below; the plain functions can be imported with
``from tests.conftest import phantom, make_study_dataset``
(``textured_phantom``: a phantom with an MRI-like spectrum).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest


def phantom(size: int | tuple[int, int] = 32, *, seed: int = 0) -> np.ndarray:
    """A smooth head-like test image: random ellipses on a zero background.

    Parameters
    ----------
    size : int or (int, int)
        Image shape (H, W).
    seed : int
        Random seed; different seeds give different images.

    Returns
    -------
    numpy.ndarray
        (H, W) float32 in [0, 1]; about a third of the pixels are exactly 0
        (like the masked IXI background) and the maximum is 1.
    """
    h, w = (size, size) if isinstance(size, int) else size
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w]
    y = (y + 0.5) / h * 2 - 1
    x = (x + 0.5) / w * 2 - 1
    head = (x / 0.8) ** 2 + (y / 0.9) ** 2 <= 1
    img = 0.3 * head.astype(np.float64)
    for _ in range(6):
        cy, cx = rng.uniform(-0.5, 0.5, 2)
        ry, rx = rng.uniform(0.1, 0.35, 2)
        img += rng.uniform(0.1, 0.4) * np.exp(-(((y - cy) / ry) ** 2 + ((x - cx) / rx) ** 2))
    img = np.where(head, img, 0.0)
    return (img / img.max()).astype(np.float32)


def textured_phantom(size: int = 256, *, seed: int = 0) -> np.ndarray:
    """:func:`phantom` with a 1/f^1.25 texture inside the head, so that its spectrum falls off like an MRI slice's.

    Returns
    -------
    numpy.ndarray
        (size, size) float64 in [0, 1], zero outside the head.
    """
    rng = np.random.default_rng(seed)
    base = phantom(size, seed=seed).astype(np.float64)
    fy, fx = np.meshgrid(np.fft.fftfreq(size), np.fft.fftfreq(size), indexing="ij")
    white = np.fft.fft2(rng.standard_normal((size, size)))
    tex = np.real(np.fft.ifft2(white / np.maximum(np.hypot(fy, fx), 1 / size) ** 1.25))
    img = np.where(base > 0, base * (1 + 0.3 * tex / tex.std()), 0.0)
    return np.clip(img / img.max(), 0, 1)


def make_study_dataset(
    root: str | Path,
    *,
    n: int = 4,
    size: int = 32,
    scales: tuple[int, ...] = (2, 4),
    splits: tuple[str, ...] = ("train", "val"),
    degradation: str = "bicubic",
    rgba: bool = False,
) -> Path:
    """Write a tiny dataset in the study layout and return its root.

    Parameters
    ----------
    root : str or Path
        Folder to create (may contain spaces; created with parents).
    n : int
        Images per split, named ``IXI{k:03d}-HH-0000-T2.png``.
    size : int
        HR side length; LR sides are ``round(size / s)``.
    scales : tuple of int
        Integer scales with stored LR folders ``'<split> x<s>'``.
    splits : tuple of str
        Split folder names.
    degradation : str
        Name in :data:`mrisr.data.DEGRADATIONS` used to make the LR images.
    rgba : bool
        Store HR as RGBA with R=G=B (as the IXI HR PNGs) instead of 8-bit grey.

    Returns
    -------
    Path
        ``root``. HR and LR are 8-bit PNG (LR quantised like the study's).
    """
    from PIL import Image

    from mrisr.data import degrade, write_image

    root = Path(root)
    for si, split in enumerate(splits):
        hr_dir = root / split
        hr_dir.mkdir(parents=True, exist_ok=True)
        for k in range(n):
            name = f"IXI{100 * si + k:03d}-HH-0000-T2.png"
            hr = np.round(phantom(size, seed=100 * si + k) * 255) / 255
            if rgba:
                g = np.round(hr * 255).astype(np.uint8)
                Image.fromarray(np.dstack([g, g, g, np.full_like(g, 255)])).save(hr_dir / name)
            else:
                write_image(hr_dir / name, hr)
            for s in scales:
                lr_dir = root / f"{split} x{s}"
                lr_dir.mkdir(exist_ok=True)
                write_image(lr_dir / name, degrade(hr, s, kind=degradation, quantise=True))
    return root


@pytest.fixture(name="make_study_dataset")
def make_study_dataset_fixture():
    """The :func:`make_study_dataset` function, for tests that need options."""
    return make_study_dataset


@pytest.fixture
def study_dataset(tmp_path: Path) -> Path:
    """A default dataset (train/val, 4 images of 32x32, x2 and x4) under a path with spaces."""
    return make_study_dataset(tmp_path / "my data")


@pytest.fixture
def phantom_image() -> np.ndarray:
    """A 32x32 :func:`phantom`."""
    return phantom(32)


def load_script(path: str | Path) -> ModuleType:
    """The Python file ``path`` imported as a module (for scripts kept outside the package)."""
    path = Path(path)
    spec = importlib.util.spec_from_file_location(path.stem, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod
