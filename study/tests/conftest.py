"""Fixtures for the tests of the research scripts in ``study/scripts/`` (not part of the package)."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pytest

from tests.conftest import load_script
from tests.train.conftest import tiny_config, tiny_ixi  # noqa: F401  (fixtures shared with tests/train)

SCRIPTS = Path(__file__).resolve().parents[1] / "scripts"


def study_script(name: str) -> ModuleType:
    """``study/scripts/<name>.py`` imported as a module."""
    return load_script(SCRIPTS / f"{name}.py")


@pytest.fixture(scope="module")
def gs() -> ModuleType:
    """``study/scripts/gpu_session.py``."""
    return study_script("gpu_session")


@pytest.fixture(scope="module")
def ablation() -> ModuleType:
    """``study/scripts/ablation.py``."""
    return study_script("ablation")


@pytest.fixture(scope="module")
def pg() -> ModuleType:
    """``study/scripts/phase_gap.py``."""
    return study_script("phase_gap")


@pytest.fixture(scope="module")
def mt() -> ModuleType:
    """``study/scripts/make_teacher.py``."""
    return study_script("make_teacher")
