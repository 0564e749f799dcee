"""Paired HR/LR data in the study's folder layout.

``ROOT/<split>`` holds HR images and ``ROOT/<split> x<s>`` the LR images for
integer scale ``s``, matched by file name (folder names contain spaces, as
published). Alternatively an HR folder alone is degraded on the fly at any
scale (:func:`synthetic_pairs`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mrisr.data.io import IMAGE_SUFFIXES, read_image
from mrisr.errors import InputError


@dataclass(frozen=True)
class Pair:
    """One HR image and (optionally) its stored LR counterpart."""

    name: str
    hr_path: Path
    lr_path: Path | None


def lr_folder(root: str | Path, split: str, scale: float) -> Path:
    """``ROOT/<split> x<scale>`` (the study's naming)."""
    s = int(scale) if float(scale).is_integer() else scale
    return Path(root) / f"{split} x{s}"


def list_images(folder: str | Path) -> list[Path]:
    """Image files in ``folder``, sorted by name.

    Hidden files are skipped. Any other non-image file is an error: a data
    folder that mixes in other files is usually the wrong folder.

    Raises
    ------
    InputError
        Missing folder, empty folder, or non-image files present.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError("data folder not found", folder)
    files = [p for p in sorted(folder.iterdir()) if not p.name.startswith(".")]
    bad = [p.name for p in files if p.is_file() and p.suffix.lower() not in IMAGE_SUFFIXES]
    if bad:
        shown = ", ".join(bad[:5]) + (f" and {len(bad) - 5} more" if len(bad) > 5 else "")
        raise InputError(f"non-image files in data folder: {shown}", folder)
    images = [p for p in files if p.is_file()]
    if not images:
        raise InputError("no images (.png, .tif) in data folder", folder)
    return images


def _image_size(path: Path) -> tuple[int, int]:
    from PIL import Image, UnidentifiedImageError

    if path.stat().st_size == 0:
        raise InputError("file is empty", path)
    try:
        with Image.open(path) as im:
            w, h = im.size
    except (UnidentifiedImageError, OSError) as exc:
        raise InputError(f"not a readable image ({exc})", path) from None
    return h, w


def find_pairs(
    root: str | Path, split: str, scale: float, *, check_sizes: bool = True
) -> list[Pair]:
    """Match ``ROOT/<split>`` with ``ROOT/<split> x<scale>`` by file name.

    Raises
    ------
    InputError
        One error that lists every unmatched file and every size mismatch
        (HR must equal LR x scale within one pixel).
    """
    hr_dir, lr_dir = Path(root) / split, lr_folder(root, split, scale)
    if not lr_dir.is_dir():
        raise InputError(f"LR folder for scale {scale:g} not found", lr_dir)
    hr = {p.name: p for p in list_images(hr_dir)}
    lr = {p.name: p for p in list_images(lr_dir)}
    problems = [f"no LR for {n}" for n in sorted(set(hr) - set(lr))]
    problems += [f"no HR for {n}" for n in sorted(set(lr) - set(hr))]
    pairs = [Pair(n, hr[n], lr[n]) for n in sorted(set(hr) & set(lr))]
    if check_sizes:
        for p in pairs:
            (h, w), (lh, lw) = _image_size(p.hr_path), _image_size(p.lr_path)  # type: ignore[arg-type]
            if abs(h - lh * scale) > 1 or abs(w - lw * scale) > 1:
                problems.append(f"{p.name}: HR {h}x{w} is not LR {lh}x{lw} x {scale:g}")
    if problems:
        shown = "; ".join(problems[:10]) + (f"; ... {len(problems) - 10} more" if len(problems) > 10 else "")
        raise InputError(f"{len(problems)} pairing problem(s): {shown}", Path(root))
    return pairs


def synthetic_pairs(hr_dir: str | Path) -> list[Pair]:
    """Pairs with no stored LR: the LR is made on the fly (see :func:`load_pair`)."""
    return [Pair(p.name, p, None) for p in list_images(hr_dir)]


def load_pair(
    pair: Pair, scale: float, *, degradation: str = "bicubic", quantise: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """Read (hr, lr) float32 arrays; degrade the HR when no LR is stored."""
    hr = read_image(pair.hr_path)
    if pair.lr_path is not None:
        return hr, read_image(pair.lr_path)
    from mrisr.data.degrade import degrade

    return hr, degrade(hr, scale, kind=degradation, quantise=quantise)


def degraded_images(
    pairs: list[Pair], scale: float, spec: str, *, seed: int = 0, contrast: str = ""
) -> Iterator[tuple[str, np.ndarray, np.ndarray]]:
    """Yield ``(name, hr, lr)``: each HR image degraded on the fly by the spec ``spec``.

    Image ``i`` (in the order of ``pairs``) draws from ``numpy.random.default_rng([seed, i])``,
    so a spec, a seed and a folder fix every LR image, whatever ``--limit`` keeps. A ``contrast``
    changes the HR image itself first (the target too), with its own draws (``[seed, i, 1]``): a
    stand-in for another contrast or scanner, e.g. ``remap:nonmonotone``.

    Parameters
    ----------
    pairs : list of Pair
        HR images (stored LR images are ignored).
    scale : float
        Downscaling factor.
    spec : str
        A degradation spec (:func:`mrisr.data.degrade.parse_degradation`).
    seed : int, default 0
        Non-negative base seed.
    contrast : str, default ''
        Same-grid steps (:func:`mrisr.data.degrade.parse_same_grid`) applied to the HR image, then
        clipped to [0, 1]; ``''``: the HR image as stored.
    """
    from mrisr.data.degrade import apply_same_grid, degrade, parse_degradation, parse_same_grid

    pipeline = parse_degradation(spec)  # errors now, not at the first image
    change = parse_same_grid(contrast)
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"seed must be an integer >= 0, got {seed!r}")

    def images() -> Iterator[tuple[str, np.ndarray, np.ndarray]]:
        for i, p in enumerate(pairs):
            hr = read_image(p.hr_path)
            if change:
                hr = np.clip(apply_same_grid(hr, change, np.random.default_rng([int(seed), i, 1])), 0, 1).astype(np.float32)
            yield p.name, hr, degrade(hr, scale, kind=pipeline, seed=np.random.default_rng([int(seed), i]))

    return images()


def iter_pairs(
    pairs: list[Pair], scale: float, **kwargs
) -> Iterator[tuple[Pair, np.ndarray, np.ndarray]]:
    """Yield ``(pair, hr, lr)`` for each pair."""
    for p in pairs:
        hr, lr = load_pair(p, scale, **kwargs)
        yield p, hr, lr


def open_split(
    root: str | Path, split: str, scale: float, *, on_the_fly: bool | None = None
) -> list[Pair]:
    """Stored pairs when ``ROOT/<split> x<s>`` exists, else on-the-fly pairs.

    ``on_the_fly=True`` forces degradation even when LR folders exist;
    ``False`` requires them.
    """
    has_lr = lr_folder(root, split, scale).is_dir()
    if on_the_fly or (on_the_fly is None and not has_lr):
        return synthetic_pairs(Path(root) / split)
    return find_pairs(root, split, scale)


HOLDOUT_SEED = 20151201  # fixed: the held-out images must not change with the training seed


def holdout_names(root: str, split: str, n: int) -> list[str]:
    """The ``n`` images of ``<split>`` that ``data.holdout: n`` keeps out of training.

    A fixed-seed permutation of the sorted file names, so the choice depends only on
    the folder's contents, and a larger ``n`` holds out a superset of a smaller one.
    """
    files = list_images(Path(root) / split)
    if not 0 <= n < len(files):
        raise ValueError(f"{Path(root) / split}: data.holdout={n} must be below its {len(files)} images")
    order = np.random.default_rng(HOLDOUT_SEED).permutation(len(files))
    return sorted(files[i].name for i in order[:n])
