"""Self-supervised through-plane LIIF: training pairs, fine-tuning, the through-plane and command-line paths."""

from __future__ import annotations

import nibabel as nib
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from mrisr.classical.operators import profile_matrix
from mrisr.volume import upscale_through_plane, upscale_volume
from mrisr.volume.selfsup import SelfSupConfig, SlicePairs

FAST = {"steps": 30, "crops": 2, "patch": 16, "queries": 256, "min_foreground": 0.0}


def _phantom(shape=(16, 18, 24), factor=2):
    """(HR head-like volume with edges along every axis, its thick-slice version along axis 2)."""
    g = np.meshgrid(*[np.linspace(-1, 1, n) for n in shape], indexing="ij")
    r = np.sqrt(g[0] ** 2 + g[1] ** 2 + g[2] ** 2)
    hr = 0.7 * (r < 0.85) + 0.25 * ((np.abs(g[0] - g[2]) < 0.25) & (r < 0.85)) + 0.05 * (np.sin(5 * g[1]) > 0)
    m = profile_matrix(shape[2], shape[2] // factor)
    return hr, np.einsum("ijk,lk->ijl", hr, m)


def _psnr(a, b):
    return 10 * np.log10(1.0 / np.mean((a - b) ** 2))


@pytest.mark.parametrize("factor", [2.0, 3.0, 2.5])
def test_training_queries_sit_where_their_targets_are(factor):
    # HR linear in both axes: a box average along the rows is the ramp at the slice centre, so
    # bilinear interpolation of the LR crop at a query's coordinate must give the query's HR target,
    # through every flip and transpose (coordinates and cells move with the image)
    a, b = 60, 40
    rows, cols = np.meshgrid(np.arange(a), np.arange(b), indexing="ij")
    slices = np.stack([0.01 * rows + 0.004 * cols + 0.1 * k for k in range(3)]).astype(np.float32)
    cfg = SelfSupConfig(crops=4, patch=20, queries=200, min_foreground=0.0, seed=3)
    pairs = SlicePairs(slices, factor, "box", 1.0, cfg)
    assert pairs.ratio == pytest.approx(factor, rel=0.05)
    seen = set()
    for _ in range(12):
        lr, coord, cell, target = pairs.batch()
        seen.add(lr.shape[-2:])
        h, w = lr.shape[-2:]
        # cells: one HR voxel, i.e. 1/ratio of an LR pixel along the thickened axis, 1 along the other
        # (an LR pixel spans 2/h of the crop's [-1, 1])
        in_lr_pixels = cell[0, 0] * torch.tensor([h, w]) / 2
        np.testing.assert_allclose(sorted(in_lr_pixels.tolist()), sorted([1 / pairs.ratio, 1]), rtol=1e-5)
        inner = (coord.abs() < 1 - 2.0 / min(h, w)).all(-1)  # away from the crop's edge (no extrapolation)
        got = F.grid_sample(lr, coord.flip(-1)[:, None], mode="bilinear", align_corners=False)[:, 0, 0]
        # within 0.1 HR row (0.001): at non-integer factors the voxel-integrated box averages the ramp
        # 0.05 rows off the slice centre; a misplaced query is off by half a row or more
        np.testing.assert_allclose(got[inner].numpy(), target[..., 0][inner].numpy(), atol=1e-5 if factor % 1 == 0
                                   else 1e-3)
    assert len(seen) == 2  # both orientations are trained


def test_config_is_validated_and_unknown_options_are_named():
    with pytest.raises(ValueError, match="steps must be an integer"):
        SelfSupConfig(steps=-1)
    with pytest.raises(ValueError, match="lr must be > 0"):
        SelfSupConfig(lr=0.0)
    cfg, rest = SelfSupConfig.from_params({"steps": 3, "self_ensemble": True, "intensity": "auto"})
    assert cfg.steps == 3 and rest == {"self_ensemble": True}
    with pytest.raises(ValueError, match="unknown liif-selfsup options: stepz"):
        SelfSupConfig.from_params({"stepz": 3})
    img = nib.Nifti1Image(np.zeros((8, 8, 4), np.float32), np.diag([1.0, 1.0, 2.0, 1.0]))
    with pytest.raises(ValueError, match="unknown liif-selfsup options"):
        upscale_through_plane(img, method="liif-selfsup", params={"stepz": 3}, progress=False)


def test_zero_steps_is_the_starting_model_without_the_intensity_guard():
    _, lr = _phantom()
    img = nib.Nifti1Image(lr.astype(np.float32), np.diag([1.0, 1.0, 2.0, 1.0]))
    base = upscale_through_plane(img, factor=2, method="liif-slices", params={"intensity": "off"}, progress=False)
    fitted = upscale_through_plane(img, factor=2, method="liif-selfsup", params={"steps": 0, "precision": "float32"},
                                   progress=False)
    np.testing.assert_array_equal(fitted.get_fdata(), base.get_fdata())
    fast = upscale_through_plane(img, factor=2, method="liif-selfsup", params={"steps": 0, "precision": "bfloat16"},
                                 progress=False)
    np.testing.assert_allclose(fast.get_fdata(), base.get_fdata(), atol=0.01)


def test_fine_tuning_on_the_volume_itself_learns_the_slice_profile():
    # the shipped in-plane model does not know thick slices; a few steps on the volume's own slices,
    # thickened the same way, must move it clearly towards the truth it never saw
    hr, lr = _phantom()
    img = nib.Nifti1Image(lr.astype(np.float32), np.diag([1.0, 1.0, 2.0, 1.0]))
    scores = {}
    for steps in (0, FAST["steps"]):
        out = upscale_through_plane(img, factor=2, method="liif-selfsup", params={**FAST, "steps": steps},
                                    progress=False)
        scores[steps] = _psnr(out.get_fdata(), hr)
    assert scores[FAST["steps"]] > scores[0] + 1.0, scores


def test_command_line(tmp_path, capsys):
    from mrisr.cli.main import main

    _, lr = _phantom(shape=(16, 16, 16))
    src = tmp_path / "thick.nii.gz"
    nib.save(nib.Nifti1Image(lr.astype(np.float32), np.diag([1.0, 1.0, 2.0, 1.0])), src)
    out = tmp_path / "iso.nii.gz"
    assert main(["upscale", str(src), "--isotropic", "--selfsup-steps", "2", "-o", str(out)]) == 0  # the default
    assert nib.load(out).shape == (16, 16, 16)
    bad = tmp_path / "bad.nii.gz"
    assert main(["upscale", str(src), "--isotropic", "--method", "elrtv", "--selfsup-steps", "2", "-o", str(bad)]) == 2
    assert "--selfsup-steps applies to --method liif-selfsup" in capsys.readouterr().err
    assert main(["upscale", str(src), "--scale", "2", "--method", "liif-selfsup", "-o", str(bad)]) == 2
    assert "liif-selfsup adds slices" in capsys.readouterr().err
    assert not bad.exists()


def test_in_plane_upscaling_refuses_it_with_a_pointer():
    img = nib.Nifti1Image(np.zeros((8, 8, 4), np.float32), np.diag([1.0, 1.0, 2.0, 1.0]))
    with pytest.raises(ValueError, match="use it with upscale_through_plane"):
        upscale_volume(img, scale=2, method="liif-selfsup", progress=False)


def test_the_slice_profile_reaches_the_training_pairs(monkeypatch):
    import mrisr.volume.selfsup as selfsup

    seen = {}
    real = selfsup.SlicePairs.__init__

    def spy(self, slices, factor, profile, thickness, cfg):
        seen.update(shape=slices.shape, factor=factor, profile=profile, thickness=thickness)
        real(self, slices, factor, profile, thickness, cfg)

    monkeypatch.setattr(selfsup.SlicePairs, "__init__", spy)
    _, lr = _phantom()  # (16, 18, 12) at 1 x 1 x 2 mm
    img = nib.Nifti1Image(lr.astype(np.float32), np.diag([1.0, 1.0, 2.0, 1.0]))
    upscale_through_plane(img, factor=2, profile="gaussian", thickness=3.0, params={**FAST, "steps": 1},
                          progress=False)
    # the training slices are the volume's 12 axial slices; 3 mm over a 2 mm spacing is 1.5 spacings
    assert seen == {"shape": (12, 16, 18), "factor": 2.0, "profile": "gaussian", "thickness": 1.5}


def test_the_base_is_any_one_liif_model():
    from mrisr.weights import entry_for, verified_path

    _, lr = _phantom()
    img = nib.Nifti1Image(lr.astype(np.float32), np.diag([1.0, 1.0, 2.0, 1.0]))
    path = verified_path(entry_for("liif-x2"))
    runs = [upscale_through_plane(img, factor=2, method="liif-selfsup", params={"steps": 0, "base": b},
                                  progress=False).get_fdata() for b in ("liif-x2", f"liif:{path}")]
    np.testing.assert_array_equal(runs[0], runs[1])
    for bad in ("bicubic", "liif-x4-ens"):
        with pytest.raises(ValueError, match="base must be one LIIF model"):
            upscale_through_plane(img, factor=2, method="liif-selfsup", params={"steps": 0, "base": bad},
                                  progress=False)


def test_every_holdout_th_slice_validates():
    from mrisr.volume.selfsup import split_slices

    train, val = split_slices(30, 10)
    assert val.tolist() == [5, 15, 25] and len(train) == 27 and not set(train) & set(val)
    assert split_slices(12, 10)[1].size == 0  # too few slices: no validation, no early stop
    assert split_slices(30, 0)[1].size == 0
    with pytest.raises(ValueError, match="holdout must be 0"):
        SelfSupConfig(holdout=1)


def test_fine_tuning_stops_when_validation_stalls_and_keeps_the_best_weights():
    from mrisr.volume.selfsup import fit_through_plane_model

    hr, _ = _phantom()
    unit = hr / hr.max()
    opts = {**FAST, "steps": 60, "check_every": 5, "patience": 2, "holdout": 3}
    # a learning rate too small to change anything: no validation improves, so it stops after 2 checks
    still = fit_through_plane_model(unit, 2, 2.0, params={**opts, "lr": 1e-12}, progress=False).info["selfsup"]
    assert still["stopped_at"] == 10 and still["best_step"] in (0, 5, 10)  # (rounding may tip the best)
    assert still["val_best"] == pytest.approx(still["val_first"], rel=1e-6)
    none = fit_through_plane_model(unit, 2, 2.0, params={**opts, "steps": 0}, progress=False).info["selfsup"]
    assert none["stopped_at"] == 0 and none["val_best"] is None  # nothing trained, nothing validated
    # from an in-plane model (far from this task) a real run improves on the held-out slices; the kept
    # step is the best validated one
    run = fit_through_plane_model(unit, 2, 2.0, params={**opts, "base": "liif-x2", "lr": 1e-3, "patience": 60},
                                  progress=False)
    rec = run.info["selfsup"]
    assert rec["stopped_at"] == 60 and rec["best_step"] % 5 == 0 and rec["best_step"] > 0
    assert rec["val_best"] < rec["val_first"]


def test_budget_queries_and_validation_interval_scale_with_the_factor():
    from mrisr.volume.selfsup import CHECK_PER_FACTOR, STEPS_PER_FACTOR, fine_tune

    cfg = SelfSupConfig()
    for factor in (2.0, 4.0, 6.0):
        at = cfg.at_factor(factor)
        assert at.steps == round(STEPS_PER_FACTOR * factor) and at.check_every == round(CHECK_PER_FACTOR * factor)
    assert cfg.at_factor(2.0).check_every == 25 and cfg.at_factor(6.0).check_every == 75
    assert cfg.at_factor(1.01).check_every >= 1
    # queries per crop: the same per LR row above 2x, never more than at 2x below it
    assert [cfg.at_factor(f).queries for f in (1.5, 2.0, 2.5, 4.0, 6.0)] == [2048, 2048, 1638, 1024, 683]
    given = SelfSupConfig(steps=7, queries=300, check_every=3).at_factor(6.0)
    assert (given.steps, given.queries, given.check_every) == (7, 300, 3)  # what the user set is kept
    with pytest.raises(ValueError, match="check_every must be an integer >= 1"):
        SelfSupConfig(check_every=0)
    with pytest.raises(ValueError, match="at_factor"):
        fine_tune(None, None, cfg)


def test_validation_runs_in_the_fits_precision_and_reads_about_the_same_loss():
    from mrisr.volume.selfsup import fit_through_plane_model

    hr, _ = _phantom()
    opts = {**FAST, "steps": 5, "check_every": 5, "holdout": 3, "lr": 1e-12}
    first = {p: fit_through_plane_model(hr / hr.max(), 2, 2.0, params={**opts, "precision": p},
                                        progress=False).info["selfsup"]["val_first"] for p in ("float32", "bfloat16")}
    assert first["bfloat16"] != first["float32"]  # validated under bfloat16 autocast, as the model renders
    assert first["bfloat16"] == pytest.approx(first["float32"], rel=0.02)


def test_precision_auto_follows_the_cpu_and_reaches_fit_and_rendering(monkeypatch):
    import mrisr.devices
    import mrisr.volume.selfsup as ss

    with pytest.raises(ValueError, match="precision must be one of auto, float32, bfloat16"):
        SelfSupConfig(precision="half")
    cpu = torch.device("cpu")
    for native in (True, False):
        monkeypatch.setattr(mrisr.devices, "fast_bfloat16", lambda d, native=native: native)
        assert SelfSupConfig().bfloat16(cpu) is native
        assert SelfSupConfig(precision="float32").bfloat16(cpu) is False
        assert SelfSupConfig(precision="bfloat16").bfloat16(cpu) is True
    seen = []
    real = ss.l1_step
    monkeypatch.setattr(ss, "l1_step", lambda *a: seen.append(a[-1]) or real(*a))
    _, lr = _phantom()
    for precision in ("bfloat16", "float32"):
        m = ss.fit_through_plane_model(lr / lr.max(), 2, 2.0, params={**FAST, "steps": 2, "precision": precision},
                                       progress=False)
        assert m.precision == precision and m.info["precision"] == precision
        assert m.info["selfsup"]["precision"] == precision
    assert seen == [True, True, False, False]


def test_command_line_precision_reaches_the_fit_and_is_for_liif_only(tmp_path, capsys):
    from mrisr.cli.main import main

    _, lr = _phantom(shape=(16, 16, 16))
    src = tmp_path / "thick.nii.gz"
    nib.save(nib.Nifti1Image(lr.astype(np.float32), np.diag([1.0, 1.0, 2.0, 1.0])), src)
    outs = {}
    for precision in ("float32", "bfloat16"):
        outs[precision] = tmp_path / f"{precision}.nii.gz"
        assert main(["upscale", str(src), "--isotropic", "--selfsup-steps", "2", "--precision", precision,
                     "-o", str(outs[precision]), "--no-progress"]) == 0
    a, b = (nib.load(outs[k]).get_fdata() for k in ("float32", "bfloat16"))
    assert not np.array_equal(a, b) and np.abs(a - b).max() < 0.05 * np.abs(a).max()
    bad = tmp_path / "bad.nii.gz"
    assert main(["upscale", str(src), "--isotropic", "--method", "elrtv", "--precision", "bfloat16",
                 "-o", str(bad)]) == 2
    assert "--precision applies to LIIF methods only" in capsys.readouterr().err and not bad.exists()


def test_a_saved_model_renders_another_volume_without_fitting_and_says_what_it_was_fitted_for(tmp_path, caplog):
    from mrisr.models.checkpoint import load_model

    _, lr = _phantom()
    img = nib.Nifti1Image(lr.astype(np.float32), np.diag([1.0, 1.0, 2.0, 1.0]))
    saved = tmp_path / "protocol.safetensors"
    params = {**FAST, "steps": 4, "precision": "float32"}
    fitted = upscale_through_plane(img, factor=2, params=params, progress=False, save_model=saved)
    _, info = load_model(saved)
    assert info["trained_on"] == "slice-profile" and info["selfsup"]["factor"] == 2.0
    assert info["selfsup"]["stopped_at"] == 4 and info["selfsup"]["profile"] == "box"
    reuse = {"base": f"liif:{saved}", "steps": 0, "precision": "float32"}
    again = upscale_through_plane(img, factor=2, params=reuse, progress=False)
    np.testing.assert_array_equal(again.get_fdata(), fitted.get_fdata())  # the fitted model itself, no fine-tuning
    base = upscale_through_plane(img, factor=2, params={**reuse, "base": None}, progress=False)
    assert not np.array_equal(base.get_fdata(), fitted.get_fdata())  # ... not the shipped base
    with caplog.at_level("WARNING"):
        upscale_through_plane(img, factor=2, params=reuse, profile="gaussian", progress=False)
    assert "was fitted for x2, box profile" in caplog.text
    with pytest.raises(ValueError, match="save_model applies to liif-selfsup"):
        upscale_through_plane(img, factor=2, method="bicubic", save_model=saved, progress=False)
    with pytest.raises(ValueError, match="needs no new slices"):
        upscale_through_plane(img, factor=1, save_model=tmp_path / "none.safetensors", progress=False)


def test_command_line_save_and_reuse(tmp_path, capsys):
    from mrisr.cli.main import main

    _, lr = _phantom(shape=(16, 16, 16))
    src = tmp_path / "thick.nii.gz"
    nib.save(nib.Nifti1Image(lr.astype(np.float32), np.diag([1.0, 1.0, 2.0, 1.0])), src)
    model, first, second = tmp_path / "m.safetensors", tmp_path / "a.nii.gz", tmp_path / "b.nii.gz"
    assert main(["upscale", str(src), "--isotropic", "--selfsup-steps", "2", "--save-model", str(model),
                 "-o", str(first), "--no-progress"]) == 0
    assert main(["upscale", str(src), "--isotropic", "--reuse-model", str(model), "-o", str(second),
                 "--no-progress"]) == 0
    np.testing.assert_array_equal(nib.load(second).get_fdata(), nib.load(first).get_fdata())
    capsys.readouterr()
    bad = tmp_path / "bad.nii.gz"
    for extra, message in ((["--method", "elrtv", "--save-model", str(model)], "--save-model applies to --method"),
                           (["--reuse-model", str(tmp_path / "none.safetensors")], "no such file (--reuse-model)"),
                           (["--save-model", str(tmp_path / "m.pt")], "m.pt")):
        assert main(["upscale", str(src), "--isotropic", *extra, "-o", str(bad)]) == 2
        err = capsys.readouterr().err
        assert message in err and err.count("\n") == 1 and not bad.exists()
    assert main(["upscale", str(src), "--scale", "2", "--save-model", str(model), "-o", str(bad)]) == 2
    assert main(["upscale", str(tmp_path), "--isotropic", "--save-model", str(model), "-o", str(tmp_path / "out")]) == 2
    assert "--save-model takes a single volume" in capsys.readouterr().err
