"""Atomic outputs get the usual file mode, not mkstemp's 0600."""

from __future__ import annotations

import os

from mrisr._atomic import atomic_write_text


def test_atomic_output_mode_follows_umask(tmp_path):
    old = os.umask(0o022)
    try:
        atomic_write_text(tmp_path / "a.txt", "x")
    finally:
        os.umask(old)
    assert (tmp_path / "a.txt").stat().st_mode & 0o777 == 0o644
