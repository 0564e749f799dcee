"""Tests for the interpolation baselines and the method registry."""

from __future__ import annotations

import numpy as np
import pytest

from mrisr.data import degrade, resize
from mrisr.methods import METHODS, MethodInfo, available_methods, make_method
from mrisr.metrics import psnr
from tests.conftest import phantom

BASELINES = ("nearest", "bilinear", "bicubic")


def test_baselines_registered():
    assert set(BASELINES) <= set(available_methods())


@pytest.mark.parametrize("name", BASELINES)
@pytest.mark.parametrize(("scale", "lr_shape", "out"), [(2, (16, 16), (32, 32)), (4, (8, 12), (32, 48)),
                                                        (2.5, (13, 13), (32, 32)), (3.3, (10, 7), (33, 23))])
def test_shapes_single_and_batch(name, scale, lr_shape, out):
    m = make_method(name, scale=scale)
    assert m.name == name
    lr = np.random.default_rng(0).uniform(size=lr_shape).astype(np.float32)
    sr = m(lr, out)
    assert sr.shape == out and sr.dtype == np.float32
    assert sr.min() >= 0 and sr.max() <= 1
    batch = m(np.stack([lr, lr[::-1]]), out)
    assert batch.shape == (2, *out)
    np.testing.assert_allclose(batch[0], sr, atol=1e-7)


def test_bicubic_is_keys_resize_clipped():
    lr = phantom(16)
    np.testing.assert_allclose(
        make_method("bicubic", scale=2)(lr, (32, 32)),
        np.clip(resize(lr, (32, 32), kernel="bicubic", antialias=False), 0, 1),
        atol=0,
    )


@pytest.mark.parametrize("name", BASELINES)
def test_constant_stays_constant(name):
    np.testing.assert_allclose(make_method(name, scale=2.5)(np.full((10, 10), 0.3), (25, 25)), 0.3, atol=1e-6)


@pytest.mark.parametrize("scale", [2, 2.5, 4])
def test_bicubic_beats_nearest_on_smooth_images(scale):
    gains = []
    for seed in range(3):
        hr = phantom(64, seed=seed)
        lr = degrade(hr, scale)
        sr = {n: make_method(n, scale=scale)(lr, hr.shape) for n in ("nearest", "bicubic")}
        gains.append(psnr(sr["bicubic"], hr) - psnr(sr["nearest"], hr))
    assert min(gains) > 0.5


def test_bad_specs():
    with pytest.raises(ValueError, match="did you mean 'bicubic'"):
        make_method("bicubc", scale=2)
    with pytest.raises(ValueError, match="takes no ':' argument"):
        make_method("bicubic:x.pt", scale=2)
    with pytest.raises(ValueError, match=r"takes no parameters, got \['sigma'\]"):
        make_method("bilinear", scale=2, params={"sigma": 1})


def test_new_methods_join_the_registry(monkeypatch):
    seen = {}

    def factory(*, scale, arg, **params):
        seen.update(scale=scale, arg=arg, params=params)
        return lambda lr, out_shape: np.zeros(out_shape, np.float32)

    monkeypatch.setitem(METHODS._items, "zeros-test", MethodInfo(factory, arg="a checkpoint"))
    assert "zeros-test" in available_methods()
    m = make_method(" zeros-test :ckpt.pt", scale=3, params={"k": 1})
    assert m(np.ones((4, 4)), (12, 12)).shape == (12, 12)
    assert seen == {"scale": 3.0, "arg": "ckpt.pt", "params": {"k": 1}}


def test_zerofill_inverts_kspace_truncation_of_a_band_limited_image():
    rng = np.random.default_rng(3)
    spec = np.zeros((32, 32), complex)
    spec[12:21, 12:21] = rng.normal(size=(9, 9)) + 1j * rng.normal(size=(9, 9))  # well below the 16-px Nyquist
    hr = np.fft.ifft2(np.fft.ifftshift(spec)).real
    hr = ((hr - hr.min()) / (hr.max() - hr.min()) * 0.8 + 0.1).astype(np.float32)
    lr = degrade(hr, 2, kind="kspace")
    m = make_method("zerofill", scale=2)
    np.testing.assert_allclose(m(lr, (32, 32)), hr, atol=1e-5)
    assert psnr(make_method("bicubic", scale=2)(lr, (32, 32)), hr) < 60  # bicubic does not


def test_zerofill_keeps_a_constant_image_and_takes_no_parameters():
    m = make_method("zerofill", scale=4)
    np.testing.assert_allclose(m(np.full((2, 8, 8), 0.4, np.float32), (32, 32)), 0.4, atol=1e-6)
    with pytest.raises(ValueError, match="takes no parameters"):
        make_method("zerofill", scale=2, params={"x": 1})


@pytest.mark.parametrize("name", ["nearest", "bilinear", "bicubic", "zerofill"])
@pytest.mark.parametrize("out_shape", [(64, 96), (81, 50), (100, 100)])  # 2x, non-integer, 2.5x/3.1x
def test_large_output_path_in_blocks_equals_the_whole_image(monkeypatch, name, out_shape):
    import importlib

    from mrisr.methods import baselines

    resize_module = importlib.import_module("mrisr.data.resize")
    lr = np.random.default_rng(1).random((2, 32, 32)).astype(np.float32)
    method = make_method(name, scale=2.0, params={"intensity": "off"})
    whole = method(lr, out_shape)
    monkeypatch.setattr(resize_module, "_DENSE_MAX_PIXELS", 100)
    monkeypatch.setattr(resize_module, "_BLOCK_ROWS", 7)
    monkeypatch.setattr(baselines, "_ZEROFILL_WHOLE_MAX", 100)
    monkeypatch.setattr(baselines, "_ZEROFILL_BLOCK", 5)
    blocks = method(lr, out_shape)
    assert blocks.shape == whole.shape == (2, *out_shape)
    assert np.allclose(blocks, whole, atol=1e-6)
