"""The lineage configs in ``study/configs/`` still parse (they are the record of how each shipped model was made)."""

from __future__ import annotations

from pathlib import Path

import pytest

from mrisr.train.config import load_train_config

CONFIGS = sorted((Path(__file__).resolve().parents[1] / "configs").glob("*.yaml"))


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.name)
def test_lineage_configs_validate(path):
    cfg = load_train_config(path)
    assert cfg.model.name == "liif" and cfg.steps > 0
