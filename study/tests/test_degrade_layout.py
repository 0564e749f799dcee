"""``study/scripts/degrade_layout.py``: a study-layout root whose LR images come from another degradation."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np

from mrisr.data import degrade
from mrisr.data.datasets import open_split
from mrisr.data.io import read_image
from tests.conftest import make_study_dataset

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "degrade_layout.py"


def _run(*args):
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True)


def test_kspace_layout_is_a_paired_data_root(tmp_path):
    src = make_study_dataset(tmp_path / "ixi data", n=3, size=32, rgba=True)
    out = tmp_path / "k space"
    r = _run("--data", str(src), "--kind", "kspace", "--out", str(out))
    assert r.returncode == 0, r.stderr
    for split in ("train", "val"):
        for s in (2, 4):
            pairs = open_split(out, split, s)
            assert len(pairs) == 3
            for p in pairs:
                hr, lr = read_image(p.hr_path), read_image(p.lr_path)
                assert lr.shape == (32 // s, 32 // s)
                np.testing.assert_allclose(lr, degrade(hr, s, kind="kspace", quantise=True), atol=1 / 255 + 1e-6)
    # the LR images are not the stored (bicubic) ones
    assert not np.allclose(read_image(out / "val x2" / pairs[0].name), read_image(src / "val x2" / pairs[0].name))


def test_rerun_keeps_what_is_written(tmp_path):
    src = make_study_dataset(tmp_path / "d", n=2, size=16)
    out = tmp_path / "o"
    assert "wrote 8 LR images" in _run("--data", str(src), "--out", str(out)).stdout
    assert "wrote 0 LR images" in _run("--data", str(src), "--out", str(out)).stdout


def test_unknown_degradation_is_one_line_and_writes_nothing(tmp_path):
    src = make_study_dataset(tmp_path / "d", n=2, size=16)
    r = _run("--data", str(src), "--kind", "kspcae", "--out", str(tmp_path / "o"))
    assert r.returncode != 0 and "Traceback" not in r.stderr
    assert "unknown degradation 'kspcae'" in r.stderr and not (tmp_path / "o").exists()
