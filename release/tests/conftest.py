"""Fixtures for the tests of the release tooling in ``release/`` (scripts that write into the package)."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pytest

from tests.conftest import load_script
from tests.train.conftest import tiny_ixi  # noqa: F401  (fixture shared with tests/train)

RELEASE = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def sw() -> ModuleType:
    """``release/ship_weights.py``."""
    return load_script(RELEASE / "ship_weights.py")


@pytest.fixture(scope="module")
def ss() -> ModuleType:
    """``release/ship_slices.py``."""
    return load_script(RELEASE / "ship_slices.py")
