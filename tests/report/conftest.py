"""Fixtures for report tests: a tiny dataset in the study's folder layout."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import make_study_dataset


@pytest.fixture(scope="session")
def tiny_data(tmp_path_factory) -> Path:
    """``ROOT/train`` (4 RGBA HR 32x32) with ``train x2`` and ``train x4``, under a path with spaces."""
    return make_study_dataset(
        tmp_path_factory.mktemp("data") / "my data", splits=("train",), rgba=True
    )
