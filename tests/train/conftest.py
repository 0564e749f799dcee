"""A tiny study-layout dataset and config for training tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import make_study_dataset


@pytest.fixture(scope="session")
def tiny_ixi(tmp_path_factory) -> Path:
    """``train`` (6) / ``val`` (2) HR 32x32 with ``x2`` and ``x4`` LR folders."""
    return make_study_dataset(tmp_path_factory.mktemp("ixi"), n=6, size=32, degradation="gaussian")


def _tiny_config(root: Path, **over) -> dict:
    cfg = {
        "name": "t",
        "data": {"root": str(root), "pairs": [[2, 1], [4, 1]], "lr_patch": 8, "queries": 64,
                 "foreground_min": 0.2},
        "model": {"name": "liif", "args": {"encoder": {"name": "edsr-baseline",
                                                        "args": {"n_feats": 8, "n_resblocks": 1}},
                                            "mlp_hidden": [16, 16], "smam": "input", "eem": "sobel"}},
        "steps": 6, "batch_size": 2, "val_every": 3, "ckpt_every": 3, "log_every": 1, "ema": 0.9,
        "threads": 1,
    }
    cfg.update(over)
    return cfg


@pytest.fixture(scope="module")
def ixi40(tmp_path_factory) -> Path:
    """Like ``tiny_ixi`` with 40-px HR images: shifted x4 LR images are 9 px, room for an 8-px patch."""
    return make_study_dataset(tmp_path_factory.mktemp("ixi40"), n=3, size=40, degradation="gaussian")


@pytest.fixture()
def tiny_config():
    """``tiny_config(root, **overrides)`` -> a small training config mapping."""
    return _tiny_config
