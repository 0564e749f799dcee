"""Tests for mrisr.demo (baselines only, so it runs in a few seconds)."""

from __future__ import annotations

import csv
import json

import nibabel as nib
import numpy as np
import pytest
from PIL import Image

from mrisr.cli.main import main
from mrisr.demo import default_input, demo_slice, run_demo
from mrisr.errors import InputError


def test_default_input_is_shipped_with_nilearn():
    path = default_input()
    assert path.is_file() and path.name.endswith(".nii.gz") and "nilearn" in str(path)


def test_demo_baselines(tmp_path):
    out = tmp_path / "demo out"
    rep = run_demo(out_dir=out, methods=["nearest", "bicubic"], progress=False)
    assert sorted(p.name for p in out.iterdir()) == ["demo.png", "metrics.csv", "summary.json"]
    with Image.open(rep["figure"]) as im:
        im.load()
        assert im.format == "PNG" and im.size[0] > 500
    for s in (2.0, 4.0):
        summ = rep["results"][s].summary()
        assert summ["bicubic"]["psnr_mean"] > summ["nearest"]["psnr_mean"]
        assert summ["bicubic"]["ssim_mean"] > summ["nearest"]["ssim_mean"]
        assert rep["lr"][s].shape == (round(256 / s),) * 2
    with open(rep["csv"], newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [(r["scale"], r["method"]) for r in rows] == [("2", "nearest"), ("2", "bicubic"),
                                                          ("4", "nearest"), ("4", "bicubic")]
    data = json.loads(rep["json"].read_text())
    assert data["scales"]["x2"]["summary"]["bicubic"]["n"] == 1


def test_demo_slice_is_normalised_square():
    hr = demo_slice(default_input())
    assert hr.shape == (256, 256) and hr.dtype == np.float32
    assert hr.min() == 0.0 and hr.max() <= 1.0 and (hr > 0.5).mean() > 0.1


def test_unbuildable_method_is_skipped(tmp_path):
    from mrisr.methods import METHODS, MethodInfo

    def needs_2x(*, scale, arg=None, **params):
        if scale != 2:
            raise ValueError("trained for 2x only")
        return lambda lr, shape: np.zeros(shape, np.float32)

    with pytest.MonkeyPatch.context() as mp:
        mp.setitem(METHODS._items, "only-2x-test", MethodInfo(needs_2x))
        rep = run_demo(out_dir=tmp_path, methods=["bicubic", "only-2x-test"], progress=False)
    assert rep["skipped"][4.0] == {"only-2x-test": "trained for 2x only"}
    assert "only-2x-test" in rep["results"][2.0].methods()
    assert rep["results"][4.0].methods() == ["bicubic"]


def test_other_nifti_input_and_cli(tmp_path, capsys):
    vol = np.zeros((40, 30, 20), np.float32)
    vol[5:35, 5:25, :] = np.linspace(1, 100, 30 * 20 * 20).reshape(30, 20, 20)
    nib.save(nib.Nifti1Image(vol, np.diag([1.0, 2.0, 3.0, 1.0])), str(tmp_path / "v.nii.gz"))
    rc = main(["demo", "--input", str(tmp_path / "v.nii.gz"), "--out", str(tmp_path / "o"),
               "--methods", "bilinear", "--scales", "2.5", "--no-progress"])
    out = capsys.readouterr().out
    assert rc == 0 and "x2.5" in out and "bilinear" in out
    assert (tmp_path / "o" / "demo.png").is_file()


def test_bad_demo_options_write_nothing(tmp_path):
    with pytest.raises(ValueError, match="did you mean 'bicubic'"):
        run_demo(out_dir=tmp_path / "o", methods=["bicubc"], progress=False)
    with pytest.raises(ValueError, match="scale must be"):
        run_demo(out_dir=tmp_path / "o", scales=(1,), progress=False)
    with pytest.raises(InputError, match="file not found"):
        run_demo(out_dir=tmp_path / "o", input_path=tmp_path / "none.nii", progress=False)
    assert not (tmp_path / "o").exists()
