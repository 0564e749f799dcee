"""The registered ``elrtv`` method, shipped presets and the ``mrisr tune`` command."""

import numpy as np
import pytest
import yaml
from PIL import Image

from mrisr.classical.method import preset_path, read_preset
from mrisr.cli.main import main
from mrisr.methods import make_method

from .conftest import phantom


@pytest.mark.parametrize("scale", [2, 4])
def test_shipped_presets_load_and_validate(scale):
    params = read_preset(preset_path(scale))
    assert params["operator"]["kind"] == "kernel"
    taps = np.outer(params["operator"]["taps_h"], params["operator"]["taps_w"])
    assert abs(taps.sum() - 1.0) < 0.02  # a fitted blur kernel preserves the mean
    text = preset_path(scale).read_text()
    assert text.startswith("# ") and "command: mrisr tune elrtv" in text
    make_method("elrtv", scale=scale)


def test_method_single_and_batch_and_overrides():
    hr = np.stack([phantom(32, seed=s) for s in (1, 2, 3)])
    lr = hr.reshape(3, 16, 2, 16, 2).mean(axis=(2, 4)).astype(np.float32)
    m = make_method("elrtv", scale=2, params={"iters": 3, "batch": 2, "progress": False})
    out = m(lr, (32, 32))
    assert out.shape == (3, 32, 32) and out.dtype == np.float32
    np.testing.assert_allclose(m(lr[1], (32, 32)), out[1], atol=1e-5)
    assert m.params["iters"] == 3


def test_method_rejects_bad_params():
    with pytest.raises(ValueError, match="unknown ELRTV parameter"):
        make_method("elrtv", scale=2, params={"lamda": 1})
    with pytest.raises(ValueError, match="lam_tv must be"):
        make_method("elrtv", scale=2, params={"lam_tv": -1})


def test_other_scale_falls_back_to_gaussian():
    m = make_method("elrtv", scale=3, params={"iters": 2})
    assert m.params["operator"]["kind"] == "gaussian"
    assert m(np.full((10, 10), 0.5, np.float32), (30, 30)).shape == (30, 30)


def _write_split(root, n=3):
    for split in ("train", "train x2"):
        (root / split).mkdir(parents=True)
    for k in range(n):
        hr = phantom(32, seed=k)
        lr = np.floor(hr.reshape(16, 2, 16, 2).mean(axis=(1, 3)) * 255)
        Image.fromarray(np.round(hr * 255).astype(np.uint8)).save(root / "train" / f"im{k}.png")
        Image.fromarray(lr.astype(np.uint8)).save(root / "train x2" / f"im{k}.png")


def test_tune_cli_writes_yaml_that_evaluate_reads(tmp_path, capsys):
    _write_split(tmp_path / "data")
    out, db = tmp_path / "best.yaml", tmp_path / "study.db"
    args = ["tune", "elrtv", "--data", str(tmp_path / "data"), "--scale", "2", "--trials", "2", "--images", "2",
            "--storage", f"sqlite:///{db}", "--out", str(out), "--taps", "4", "--no-progress",
            "--check", "train:2:1"]
    assert main(args) == 0
    params = yaml.safe_load(out.read_text())["params"]
    assert params["operator"]["kind"] == "kernel" and "lam_tv" in params
    assert main(args[:7] + ["3"] + args[8:]) == 0  # resumes: one more trial in the same study
    import optuna

    assert len(optuna.load_study(study_name="elrtv-x2-none", storage=f"sqlite:///{db}").trials) == 3
    capsys.readouterr()
    assert main(["evaluate", "--data", str(tmp_path / "data"), "--split", "train", "--scale", "2",
                 "--method", "bicubic,elrtv", "--params", str(out), "--no-progress"]) == 0
    assert "elrtv" in capsys.readouterr().out


def test_tune_cli_refuses_test_split(tmp_path, capsys):
    assert main(["tune", "elrtv", "--data", str(tmp_path), "--split", "test", "--scale", "2"]) == 2
    assert "refusing" in capsys.readouterr().err


def test_tune_cli_rejects_bad_set(tmp_path, capsys):
    _write_split(tmp_path / "data")
    base = ["tune", "elrtv", "--data", str(tmp_path / "data"), "--scale", "2", "--trials", "1"]
    assert main(base + ["--set", "zero_backgrund=true"]) == 2
    assert "unknown ELRTV parameter" in capsys.readouterr().err
    assert main(base + ["--set", "lam_tv"]) == 2
    assert "KEY=VALUE" in capsys.readouterr().err


def test_tune_with_a_known_operator_keeps_it_and_beats_no_regularisation():
    from mrisr.classical.operators import profile_matrix
    from mrisr.classical.tune import TuneData, evaluate_params, tune

    hr = [phantom(32, seed=s) for s in (1, 2)]
    lr = [h @ profile_matrix(32, 8).T for h in hr]  # thick "slices" along columns
    data = TuneData(["a", "b"], hr, lr)
    spec = {"kind": "slice_profile", "profile": "box", "thickness": 1.0, "bias": 0.0}
    params, meta = tune(data, 4, trials=3, operator=spec, fixed={"steps": 1}, progress=False, max_seconds=60)
    assert params["operator"] == spec and meta["trials"] == 3
    plain = evaluate_params(data, {"operator": spec, "lam_tv": 0.0, "iters": 1})
    assert meta["psnr"] == pytest.approx(evaluate_params(data, params)["psnr"])
    assert meta["psnr"] > plain["psnr"]


def test_tune_data_operators_solve_each_image_with_its_own():
    from mrisr.classical.elrtv import elrtv
    from mrisr.classical.operators import profile_matrix
    from mrisr.classical.tune import TuneData, evaluate_params
    from mrisr.metrics import psnr

    hr = [phantom(32, seed=s) for s in (1, 2)]
    ops = [{"kind": "slice_profile"}, {"kind": "slice_profile", "profile": "gaussian", "thickness": 1.5}]
    lr = [hr[0] @ profile_matrix(32, 8).T, hr[1] @ profile_matrix(32, 8, profile="gaussian", thickness=1.5).T]
    params = {"operator": "gaussian", "lam_tv": 1e-4, "iters": 5}  # the trial's operator is not used
    got = evaluate_params(TuneData(["a", "b"], hr, lr, ops), params)["psnr"]
    each = [psnr(elrtv(y, out_shape=x.shape, operator=op, lam_tv=1e-4, iters=5).image, x)
            for x, y, op in zip(hr, lr, ops, strict=True)]
    assert got == pytest.approx(np.mean(each))
