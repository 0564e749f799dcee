"""The shipped weights: integrity, registration, and that they really super-resolve."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from mrisr.methods import available_methods, make_method
from mrisr.weights import index, sha256_of

IXI = Path(os.environ.get("MRISR_IXI", Path(__file__).resolve().parents[3] / "shared/data/ixi-t2-midslices"))

pytestmark = pytest.mark.skipif(not index(), reason="no weights shipped")


def test_index_files_match_their_hashes_and_cards():
    for e in index():
        assert e.path.is_file() and e.card_path.is_file()
        assert sha256_of(e.path) == e.sha256
        assert e.path.stat().st_size <= 10 * 2**20
        assert len(e.methods) == len(e.scales)


def test_every_shipped_name_is_a_method_at_its_scale():
    names = available_methods()
    for e in index():
        for m, s in zip(e.methods, e.scales, strict=True):
            assert m in names
            method = make_method(m, scale=s)
            assert method.info["sha256"] == e.sha256
            out = method(np.full((12, 12), 0.4, dtype=np.float32), (int(12 * s), int(12 * s)))
            assert out.shape == (int(12 * s), int(12 * s)) and np.isfinite(out).all()
            outside = (e.scale_range[1] + 0.5) if e.scale_range else s + 0.5
            with pytest.raises(ValueError, match="validated for scale"):
                make_method(m, scale=outside)


def test_every_shipped_ensemble_averages_shipped_members():
    from mrisr.weights import ensembles

    names = available_methods()
    lr = np.linspace(0, 1, 144, dtype=np.float32).reshape(12, 12)
    for ens in ensembles():
        assert ens.card_path.is_file() and len(ens.members) >= 2
        assert all(m in names and m in {n for e in index() for n in e.methods} for m in ens.members)
        shape = (int(12 * ens.scale),) * 2
        # the mean itself (no intensity guard), and with the guard on a dim image (one gain, no clipping)
        for x, mode in ((lr, "off"), (lr * 0.3, "auto")):
            p = {"intensity": mode}
            want = np.mean([make_method(m, scale=ens.scale, params=p)(x, shape) for m in ens.members], axis=0)
            assert np.allclose(make_method(ens.method, scale=ens.scale, params=p)(x, shape), want, atol=1e-6)


@pytest.mark.skipif(not IXI.is_dir(), reason="IXI data not available")
@pytest.mark.parametrize("scale", [2, 4])
def test_shipped_model_beats_bicubic_on_real_val_images(scale):
    from mrisr.evaluation import evaluate_split

    name = f"liif-x{scale}"
    if name not in available_methods():
        pytest.skip(f"{name} not shipped")
    res = evaluate_split(IXI, "val", scale, ["bicubic", name], limit=2, progress=False).summary()
    assert res[name]["psnr_mean"] > res["bicubic"]["psnr_mean"] + 2.0
    assert res[name]["ssim_mean"] > res["bicubic"]["ssim_mean"]


@pytest.mark.parametrize("scale", ["2", "3", "4"])
def test_upscale_cli_defaults_to_shipped_weights_at_any_scale(tmp_path, scale, capsys):
    from mrisr.cli.main import main
    from mrisr.data.io import read_image, write_image
    from tests.conftest import phantom

    write_image(tmp_path / "in.png", phantom(20))
    assert main(["upscale", str(tmp_path / "in.png"), "--scale", scale, "-o", str(tmp_path / "o.png")]) == 0
    assert read_image(tmp_path / "o.png").shape == (20 * int(scale),) * 2
    assert "liif-blind" in capsys.readouterr().out  # the arbitrary-scale default covers 2, 3 and 4


def test_default_upscale_choice_skips_non_default_weights(monkeypatch):
    import mrisr.weights as w
    from mrisr.methods import default_method

    entries = (
        w.WeightEntry(file="a.safetensors", sha256="0", methods=("liif-x2",), scales=(2.0,), card="a.md"),
        w.WeightEntry(file="b.safetensors", sha256="0", methods=("liif-offdomain-x4",), scales=(4.0,), card="b.md",
                      default=False),
    )
    monkeypatch.setattr(w, "index", lambda: entries)
    assert default_method(4.0) == "liif-x2"  # the off-domain model is exactly at 4x but not a default
    monkeypatch.setattr(w, "index", lambda: ())
    assert default_method(4.0) == "bicubic"


def test_default_prefers_an_arbitrary_scale_model_within_its_range(monkeypatch):
    import mrisr.weights as w
    from mrisr.methods import default_method

    fixed = w.WeightEntry(file="a.safetensors", sha256="0", methods=("liif-x2",), scales=(2.0,), card="a.md")
    blind = w.WeightEntry(file="b.safetensors", sha256="0", methods=("liif-blind",), scales=(2.0,), card="b.md",
                          scale_range=(1.5, 4.0), trained_on=None)
    monkeypatch.setattr(w, "index", lambda: (fixed, blind))
    assert [default_method(s) for s in (1.5, 2.0, 3.3, 4.0)] == ["liif-blind"] * 4
    assert default_method(8.0) == "liif-x2"  # outside its range: the nearest fixed-scale default
    assert blind.validated_for("liif-blind", 2.7) and not blind.validated_for("liif-blind", 4.5)
    assert blind.validated_text("liif-blind") == "scales 1.5-4" and fixed.validated_text("liif-x2") == "scale 2"
    off = w.WeightEntry(file="b.safetensors", sha256="0", methods=("liif-blind",), scales=(2.0,), card="b.md",
                        scale_range=(1.5, 4.0), default=False)
    monkeypatch.setattr(w, "index", lambda: (fixed, off))
    assert default_method(3.0) == "liif-x2"


def test_weight_hashes_name_every_member_of_an_ensemble(monkeypatch):
    import mrisr.weights as w

    entries = (
        w.WeightEntry(file="a.safetensors", sha256="aa", methods=("m-a",), scales=(4.0,), card="a.md"),
        w.WeightEntry(file="b.safetensors", sha256="bb", methods=("m-b",), scales=(4.0,), card="b.md"),
    )
    monkeypatch.setattr(w, "index", lambda: entries)
    monkeypatch.setattr(w, "ensembles", lambda: (w.EnsembleEntry("m-ens", ("m-a", "m-b"), 4.0),))
    assert w.weight_hashes("m-ens") == ("aa", "bb")
    assert w.weight_hashes("m-b") == ("bb",)
    assert w.weight_hashes("bicubic") == ()
