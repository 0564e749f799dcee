"""``evaluate --degrade``: an HR split degraded on the fly by a spec (runner and CLI)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from mrisr.cli.main import main
from mrisr.data import degrade
from mrisr.data.datasets import degraded_images, synthetic_pairs
from mrisr.data.io import read_image
from mrisr.evaluation import evaluate_split
from mrisr.metrics import image_metrics


def test_degraded_split_uses_the_spec_and_per_image_seeds(study_dataset):
    spec = "kspace:window=hann+rician:0.02+quant:8"
    res = evaluate_split(study_dataset, "val", 2, ["zerofill"], degrade=spec, seed=7, progress=False)
    assert res.meta["degrade"] == "kspace:window=hann+rician:sigma=0.02+quant:bits=8" and res.meta["seed"] == 7
    assert res.meta["images"] == 4 and res.meta["lr"].startswith("degraded on the fly")
    pairs = synthetic_pairs(study_dataset / "val")
    hr = read_image(pairs[1].hr_path)
    lr = degrade(hr, 2, kind=spec, seed=np.random.default_rng([7, 1]))
    from mrisr.methods import make_method

    expected = image_metrics(make_method("zerofill", scale=2)(lr, hr.shape), hr)["psnr"]
    assert res.rows[1]["image"] == pairs[1].name and res.rows[1]["psnr"] == pytest.approx(expected)
    other = evaluate_split(study_dataset, "val", 2, ["zerofill"], degrade=spec, seed=8, progress=False)
    assert other.rows[1]["psnr"] != res.rows[1]["psnr"]


def test_degraded_images_ignore_stored_lr_and_depend_only_on_seed_and_index(study_dataset):
    pairs = synthetic_pairs(study_dataset / "val")
    a = [lr for _, _, lr in degraded_images(pairs, 2, "bicubic+noise:0.05", seed=1)]
    b = [lr for _, _, lr in degraded_images(pairs[:2], 2, "bicubic+noise:0.05", seed=1)]
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=False))
    with pytest.raises(ValueError, match="seed must be an integer >= 0"):
        degraded_images(pairs, 2, "bicubic", seed=-1)


def test_bad_spec_fails_before_any_work(study_dataset):
    with pytest.raises(ValueError, match="did you mean 'hann'"):
        evaluate_split(study_dataset, "val", 2, ["bicubic"], degrade="kspace:window=han")


def test_cli_degrade_writes_the_spec_and_seed(study_dataset, tmp_path, capsys):
    out = tmp_path / "res"
    rc = main(["evaluate", "--data", str(study_dataset), "--split", "val", "--scale", "4", "--method", "bicubic",
               "--degrade", "gaussian:sigma=2/1+rician:0.01", "--seed", "3", "--out", str(out), "--no-progress"])
    assert rc == 0
    meta = json.loads((out / "summary.json").read_text())["meta"]
    assert meta["degrade"] == "gaussian:sigma=2/1+rician:sigma=0.01" and meta["seed"] == 3
    assert "degraded on the fly" in capsys.readouterr().out


def test_cli_bad_spec_is_one_line_exit_2(study_dataset, capsys):
    rc = main(["evaluate", "--data", str(study_dataset), "--split", "val", "--scale", "2", "--method", "bicubic",
               "--degrade", "rican:0.02+area"])
    err = capsys.readouterr().err
    assert rc == 2 and err.count("\n") == 1 and "did you mean 'rician'" in err


def test_contrast_changes_target_and_input_alike_with_its_own_draws(study_dataset):
    from mrisr.data.degrade import apply_same_grid, parse_same_grid

    pairs = synthetic_pairs(study_dataset / "val")
    plain = list(degraded_images(pairs, 2, "area", seed=4))
    remapped = list(degraded_images(pairs, 2, "area", seed=4, contrast="remap:nonmonotone"))
    for i, ((_, hr, lr), (_, hr_c, lr_c)) in enumerate(zip(plain, remapped, strict=True)):
        want = np.clip(apply_same_grid(hr, parse_same_grid("remap:nonmonotone"), np.random.default_rng([4, i, 1])), 0, 1)
        assert hr_c.dtype == hr.dtype and np.allclose(hr_c, want, atol=1e-6)
        assert not np.allclose(hr_c, hr)  # a non-monotone remap does change the image
        assert np.allclose(lr_c, degrade(hr_c, 2, kind="area"), atol=1e-6)  # the LR follows the changed target
        assert lr_c.shape == lr.shape
    with pytest.raises(ValueError, match="resampling"):
        degraded_images(pairs, 2, "area", contrast="bicubic")


def test_contrast_needs_a_degradation_and_is_recorded(study_dataset):
    with pytest.raises(ValueError, match="needs a degradation spec"):
        evaluate_split(study_dataset, "val", 2, ["bicubic"], contrast="remap:nonmonotone")
    res = evaluate_split(study_dataset, "val", 2, ["bicubic"], degrade="area", contrast="remap:nonmonotone",
                         progress=False)
    assert res.meta["contrast"] == "remap:kind=nonmonotone" and "after remap" in res.meta["lr"]
