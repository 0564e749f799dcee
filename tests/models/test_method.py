"""LIIF checkpoints as methods: liif:PATH in evaluate, mrisr test, mrisr upscale."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from mrisr.cli.main import main
from mrisr.data.io import read_image, write_image
from mrisr.evaluation import evaluate_split
from mrisr.methods import make_method
from mrisr.models import make_model
from mrisr.models.checkpoint import export_weights, save_checkpoint
from tests.conftest import make_study_dataset, phantom

SPEC = {"name": "liif", "args": {"encoder": {"name": "edsr-baseline", "args": {"n_feats": 8, "n_resblocks": 1}},
                                 "mlp_hidden": [16, 16], "smam": "input", "eem": "sobel"}}


@pytest.fixture(scope="module")
def weights(tmp_path_factory):
    """A fresh (untrained, residual) model saved as checkpoint and safetensors."""
    d = tmp_path_factory.mktemp("w")
    torch.manual_seed(0)
    model = make_model(SPEC)
    ck = save_checkpoint(d / "m.pt", {"model_spec": SPEC, "model": model.state_dict(), "step": 0})
    return ck, export_weights(ck, d / "m.safetensors")


def test_method_handles_single_images_and_batches(weights):
    m = make_method(f"liif:{weights[1]}", scale=2.5)
    lr = np.stack([phantom(16, seed=i) for i in range(3)])
    out = m(lr, (40, 40))
    assert out.shape == (3, 40, 40) and out.dtype == np.float32
    assert np.allclose(m(lr[1], (40, 40)), out[1], atol=1e-6)
    assert 0 <= out.min() and out.max() <= 1


def test_on_a_cpu_the_encoder_runs_channels_last_with_the_same_values(weights):
    from mrisr.models.checkpoint import load_model

    m = make_method(f"liif:{weights[1]}", scale=2)
    conv = m.model.encoder.body[0].body[0].weight  # 8 -> 8 channels (a 1-channel one is both layouts)
    assert conv.is_contiguous(memory_format=torch.channels_last) and not conv.is_contiguous()
    plain, _ = load_model(weights[1])
    torch.nn.init.normal_(plain.imnet.layers[-1].weight, std=0.1)  # a non-zero residual, in both
    with torch.no_grad():
        m.model.imnet.layers[-1].weight.copy_(plain.imnet.layers[-1].weight)
        lr = torch.from_numpy(phantom(16, seed=1))[None, None]
        ref = plain.upscale(lr, (32, 32))
    np.testing.assert_allclose(m(lr[0, 0].numpy(), (32, 32)), ref.clamp(0, 1)[0, 0].numpy(), atol=1e-5)


def test_untrained_residual_model_equals_bicubic_in_evaluate(weights, tmp_path):
    root = make_study_dataset(tmp_path / "d", n=3, size=32, scales=(2,))
    res = evaluate_split(root, "val", 2, ["bicubic", f"liif:{weights[0]}"], progress=False)
    s = res.summary()
    assert s[f"liif:{weights[0]}"]["psnr_mean"] == pytest.approx(s["bicubic"]["psnr_mean"], abs=0.3)


@pytest.fixture(scope="module")
def random_weights(tmp_path_factory):
    """A model with every weight random (non-zero head), so its output is not equivariant."""
    torch.manual_seed(1)
    model = make_model(SPEC)
    with torch.no_grad():
        for p in model.parameters():
            p.normal_(0, 0.2)
    ck = save_checkpoint(tmp_path_factory.mktemp("r") / "r.pt",
                         {"model_spec": SPEC, "model": model.state_dict(), "step": 0})
    return ck


def test_self_ensemble_is_equivariant_and_differs_from_one_pass(random_weights):
    lr = phantom(12, seed=3)[:, :10]  # not square: transposes must swap the output shape
    plain = make_method(f"liif:{random_weights}", scale=2, params={"self_ensemble": False})
    se = make_method(f"liif:{random_weights}", scale=2, params={"self_ensemble": True})
    out = se(lr, (24, 20))
    assert out.shape == (24, 20)
    assert np.abs(out - plain(lr, (24, 20))).max() > 1e-3  # the random model is not equivariant itself
    # the ensemble over the dihedral group is: transforming the input transforms the output
    assert np.allclose(se(lr[::-1].copy(), (24, 20)), out[::-1], atol=1e-5)
    assert np.allclose(se(lr[:, ::-1].copy(), (24, 20)), out[:, ::-1], atol=1e-5)
    assert np.allclose(se(lr.T.copy(), (20, 24)), out.T, atol=1e-5)


def test_liif_without_path_is_a_clear_error():
    with pytest.raises(ValueError, match="liif:PATH"):
        make_method("liif", scale=2)


def test_cli_test_command(weights, tmp_path, capsys):
    root = make_study_dataset(tmp_path / "d", n=2, size=32, scales=(2,))
    rc = main(["test", "--checkpoint", str(weights[1]), "--data", str(root), "--split", "val", "--scale", "2",
               "--baseline", "--no-progress", "--out", str(tmp_path / "o")])
    assert rc == 0
    out = capsys.readouterr().out
    assert "bicubic" in out and "m.safetensors" in out
    assert (tmp_path / "o" / "per_image.csv").is_file()


@pytest.mark.parametrize(("flag", "value", "shape"), [("--scale", "2.5", (50, 50)), ("--size", "64x48", (64, 48))])
def test_cli_upscale_png(weights, tmp_path, flag, value, shape):
    src = tmp_path / "in.png"
    write_image(src, phantom(20))
    out = tmp_path / "out.png"
    assert main(["upscale", str(src), flag, value, "--checkpoint", str(weights[1]), "-o", str(out)]) == 0
    assert read_image(out).shape == shape


def test_cli_upscale_bad_inputs(weights, tmp_path, capsys):
    src = tmp_path / "in.png"
    write_image(src, phantom(20))
    assert main(["upscale", str(src), "--scale", "0.5", "-o", str(tmp_path / "o.png")]) == 2
    assert main(["upscale", str(src), "--size", "abc", "-o", str(tmp_path / "o.png")]) == 2
    assert main(["upscale", str(tmp_path / "missing.png"), "--scale", "2", "-o", str(tmp_path / "o.png")]) == 2
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"not a checkpoint")
    assert main(["upscale", str(src), "--scale", "2", "--checkpoint", str(junk), "-o", str(tmp_path / "o.png")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 4 and all(line.startswith("mrisr: error:") for line in err)
    assert "junk.pt" in err[-1]
    assert not (tmp_path / "o.png").exists()


def test_cli_upscale_self_ensemble(random_weights, tmp_path, capsys):
    src = tmp_path / "in.png"
    write_image(src, phantom(16), bits=16)
    out = tmp_path / "out.tif"
    assert main(["upscale", str(src), "--scale", "2", "--checkpoint", str(random_weights), "--self-ensemble",
                 "-o", str(out)]) == 0
    expect = make_method(f"liif:{random_weights}", scale=2, params={"self_ensemble": True})(read_image(src), (32, 32))
    assert np.allclose(read_image(out), expect, atol=1e-4)
    assert main(["upscale", str(src), "--scale", "2", "--method", "bicubic", "--self-ensemble",
                 "-o", str(tmp_path / "b.png")]) == 2
    assert "LIIF methods only" in capsys.readouterr().err
    assert not (tmp_path / "b.png").exists()


def test_ensemble_is_the_mean_of_its_members(weights, random_weights):
    from mrisr.models.method import EnsembleMethod

    a, b = make_method(f"liif:{weights[1]}", scale=2), make_method(f"liif:{random_weights}", scale=2)
    lr = np.stack([phantom(16, seed=i) for i in range(2)])
    ya, yb = a(lr, (32, 32)), b(lr, (32, 32))
    assert not np.allclose(ya, yb, atol=1e-3)  # the members differ, so the check below can fail
    ens = EnsembleMethod([a, b], name="ab")
    assert np.allclose(ens(lr, (32, 32)), (ya + yb) / 2, atol=1e-6)
    assert np.allclose(EnsembleMethod([a, a], name="aa")(lr, (32, 32)), ya, atol=1e-6)
    assert ens.info["members"] == [a.name, b.name]
    with pytest.raises(ValueError, match="at least one member"):
        EnsembleMethod([], name="none")


def test_shipped_ensembles_are_registered_from_the_index(weights, random_weights, monkeypatch):
    import mrisr.weights as w
    from mrisr.methods import METHODS, MethodInfo
    from mrisr.models import method as mm

    monkeypatch.setattr(w, "ensembles", lambda: (w.EnsembleEntry("t-ens", ("t-a", "t-b"), 2.0),))
    monkeypatch.setattr(METHODS, "_items", dict(METHODS._items))  # undo the registrations afterwards
    for name, path in (("t-a", weights[1]), ("t-b", random_weights)):
        METHODS.register(name, MethodInfo(lambda *, scale, arg=None, _p=path, **kw: make_method(f"liif:{_p}", scale=scale)))
    mm._register_shipped()
    lr = phantom(16)
    off = {"intensity": "off"}  # the mean itself; the intensity guard has tests of its own
    want = (make_method("t-a", scale=2)(lr, (32, 32)) + make_method("t-b", scale=2)(lr, (32, 32))) / 2
    assert np.allclose(make_method("t-ens", scale=2, params=off)(lr, (32, 32)), want, atol=1e-6)
    with pytest.raises(ValueError, match="validated for scale 2"):
        make_method("t-ens", scale=3)
    with pytest.raises(ValueError, match="no ':' argument"):
        make_method("t-ens:x", scale=2)


def test_unknown_method_parameter_is_a_one_line_error(weights):
    with pytest.raises(ValueError, match="takes no parameter 'bogus'"):
        make_method(f"liif:{weights[1]}", scale=2, params={"bogus": 1})


def _reading(resize: float, kspace: float, study: float, *, plain: bool = False, noise: float = 0.0):
    """A reading; its k-space share windowed (no data consistency) unless ``plain``."""
    from mrisr.data.acquisition import Reading

    k = {"kspace": kspace, "kspace-windowed": 0.0} if plain else {"kspace": 0.0, "kspace-windowed": kspace}
    return Reading({"resize": resize, **k, "study": study}, noise)


def test_acquisition_kspace_renders_the_centred_input(random_weights, monkeypatch):
    """'kspace' runs the model on the input shifted to footprint centres; 'auto' renders the likeliest reading."""
    import mrisr.data.acquisition as acquisition
    from mrisr.data.resample import kspace_consistent, kspace_to_centres

    lr = phantom(16, seed=4)
    monkeypatch.setattr(acquisition, "read_acquisition", lambda x, s: _reading(0.0, 1.0, 0.0))
    plain = make_method(f"liif:{random_weights}", scale=2, params={"intensity": "off"})
    ks = make_method(f"liif:{random_weights}", scale=2, params={"acquisition": "kspace", "intensity": "off"})
    a, b = plain(lr, (32, 32)), ks(lr, (32, 32))
    np.testing.assert_allclose(b, plain(kspace_to_centres(lr, (32, 32)), (32, 32)), atol=1e-6)
    assert np.abs(a - b).max() > 1e-3
    auto = make_method(f"liif:{random_weights}", scale=2, params={"acquisition": "auto", "intensity": "off"})
    for p, expect in ((0.01, a), (0.99, b), (0.4, a), (0.6, b)):  # the likeliest reading
        monkeypatch.setattr(acquisition, "read_acquisition", lambda x, s, p=p: _reading(1 - p, p, 0.0))
        np.testing.assert_allclose(auto(lr, (32, 32)), expect, atol=1e-5)
    # a plain, noise-free cut: the k-space rendering is made consistent with the input's spectrum
    monkeypatch.setattr(acquisition, "read_acquisition", lambda x, s: _reading(0.0, 1.0, 0.0, plain=True))
    out = ks(lr, (32, 32))
    np.testing.assert_allclose(out, np.clip(kspace_consistent(b, lr, 1.0), 0, 1), atol=1e-5)
    assert np.abs(out - b).max() > 1e-3
    monkeypatch.setattr(acquisition, "read_acquisition", lambda x, s: _reading(0.0, 1.0, 0.0, plain=True, noise=0.05))
    np.testing.assert_allclose(ks(lr, (32, 32)), b, atol=1e-6)  # too noisy: left as rendered
    with pytest.raises(ValueError, match="acquisition must be one of resize, kspace, auto"):
        make_method(f"liif:{random_weights}", scale=2, params={"acquisition": "dft"})


def test_auto_hands_the_study_pipeline_to_the_specialist_of_its_scale(random_weights, monkeypatch):
    """An input read as the study's pipeline is rendered by the specialist, built once; without one, as resized."""
    import mrisr.data.acquisition as acquisition
    from mrisr.models.method import LIIFMethod

    built = []

    def specialist():
        built.append(1)
        return lambda lr, shape: np.full(shape, 0.5, np.float32)

    m = LIIFMethod(random_weights, acquisition="auto", specialists={2.0: specialist})
    lr = phantom(16, seed=5)
    plain = LIIFMethod(random_weights)(lr, (32, 32))
    monkeypatch.setattr(acquisition, "read_acquisition", lambda x, s: _reading(0.3, 0.25, 0.45))
    assert m.rendering_for(lr, (32, 32)) == "study"
    np.testing.assert_allclose(m(lr, (32, 32)), 0.5)
    m(lr, (32, 32))
    assert built == [1]
    assert m.rendering_for(lr, (48, 48)) == "resize"  # no specialist at 3x: the study's share counts as resized
    np.testing.assert_allclose(m(lr, (48, 48)), LIIFMethod(random_weights)(lr, (48, 48)), atol=1e-6)
    monkeypatch.setattr(acquisition, "read_acquisition", lambda x, s: _reading(0.6, 0.1, 0.3))
    np.testing.assert_allclose(m(lr, (32, 32)), plain, atol=1e-6)


def test_liif_blind_names_its_specialists_and_their_hashes():
    from mrisr.weights import entry_for

    m = make_method("liif-blind", scale=2, params={"intensity": "off"})
    spec = m.info["specialists"]
    assert {k: v["method"] for k, v in spec.items()} == {"2": "liif-x2", "4": "liif-x4"}
    assert spec["2"]["sha256"] == entry_for("liif-x2").sha256


def test_a_pinned_reading_serves_every_call_until_unpinned(random_weights, monkeypatch):
    import mrisr.data.acquisition as acquisition
    from mrisr.models.method import LIIFMethod

    calls = []

    def read(x, s):
        calls.append(np.shape(x))
        return _reading(0.0, 1.0, 0.0)

    monkeypatch.setattr(acquisition, "read_acquisition", read)
    m = LIIFMethod(random_weights, acquisition="auto")
    lr = phantom(16, seed=6)
    m.pin_reading(np.stack([lr] * 3), (32, 32))
    a, b = m(lr, (32, 32)), m(lr[None], (32, 32))
    assert calls == [(3, 16, 16)] and m.pinned is not None
    np.testing.assert_allclose(a, b[0], atol=1e-6)
    m.pin_reading(None, (32, 32))
    m(lr, (32, 32))
    assert m.pinned is None and len(calls) == 2


def test_bfloat16_rendering_is_close_to_float32_and_not_identical(random_weights):
    lr = phantom(24, seed=2)
    exact = make_method(f"liif:{random_weights}", scale=2)
    fast = make_method(f"liif:{random_weights}", scale=2, params={"precision": "bfloat16"})
    a, b = exact(lr, (48, 48)), fast(lr, (48, 48))
    assert fast.info["precision"] == "bfloat16" and exact.info["precision"] == "float32"
    assert b.dtype == np.float32 and not np.array_equal(a, b)  # it did run in bfloat16 ...
    assert np.abs(a - b).max() < 0.02  # ... to about bfloat16's 3 significant digits
    with pytest.raises(ValueError, match="precision must be one of float32, bfloat16"):
        make_method(f"liif:{random_weights}", scale=2, params={"precision": "fp16"})
