"""A tiny study-layout dataset for training tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from mrisr.data.degrade import degrade
from mrisr.data.io import write_image


def _phantom(rng: np.random.Generator, n: int) -> np.ndarray:
    yy, xx = np.mgrid[0:n, 0:n] / n - 0.5
    head = (yy**2 / 0.16 + xx**2 / 0.12) < 1
    img = head * (0.4 + 0.2 * np.sin(rng.uniform(5, 12) * xx + rng.uniform(0, 3)) * np.cos(7 * yy))
    img += head * 0.3 * ((yy - rng.uniform(-0.1, 0.1)) ** 2 + xx**2 < 0.02)
    return img.clip(0, 1)


@pytest.fixture(scope="session")
def tiny_ixi(tmp_path_factory) -> Path:
    """``train``/``val`` HR 32x32 with ``x2`` and ``x4`` LR folders (names with spaces)."""
    root = tmp_path_factory.mktemp("ixi")
    rng = np.random.default_rng(0)
    for split, n in (("train", 6), ("val", 2)):
        for s in ("", " x2", " x4"):
            (root / f"{split}{s}").mkdir()
        for i in range(n):
            hr = _phantom(rng, 32)
            name = f"IXI{i:03d}-HH-0000-T2.png"
            write_image(root / split / name, hr)
            for s in (2, 4):
                write_image(root / f"{split} x{s}" / name, degrade(hr, s, kind="gaussian"))
    return root


def _tiny_config(root: Path, **over) -> dict:
    cfg = {
        "name": "t",
        "data": {"root": str(root), "pairs": [[2, 1], [4, 1]], "lr_patch": 8, "queries": 64},
        "model": {"name": "liif", "args": {"encoder": {"name": "edsr-baseline",
                                                        "args": {"n_feats": 8, "n_resblocks": 1}},
                                            "mlp_hidden": [16, 16], "smam": "input", "eem": "sobel"}},
        "steps": 6, "batch_size": 2, "val_every": 3, "ckpt_every": 3, "log_every": 1, "ema": 0.9,
        "threads": 1,
    }
    for k, v in over.items():
        cfg[k] = v
    return cfg


@pytest.fixture()
def tiny_config():
    """``tiny_config(root, **overrides)`` -> a small training config mapping."""
    return _tiny_config
