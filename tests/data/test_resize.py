"""Tests for mrisr.data.resize against PyTorch and OpenCV and by hand."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from mrisr.data.resize import check_scale, resize, resize_matrix, scaled_shape

RNG = np.random.default_rng(1)

# (input shape, output shape): integer 2x/4x, non-integer up, anisotropic, downscale
SHAPES = [((16, 16), (32, 32)), ((8, 12), (32, 48)), ((13, 17), (29, 40)), ((10, 10), (25, 25)),
          ((24, 20), (17, 9))]


def torch_resize(x: np.ndarray, out_shape, mode: str) -> np.ndarray:
    t = torch.from_numpy(x.astype(np.float64))[None, None]
    kw = {} if mode == "nearest-exact" else {"align_corners": False}
    return F.interpolate(t, size=tuple(out_shape), mode=mode, **kw)[0, 0].numpy()


@pytest.mark.parametrize(("shape", "out"), SHAPES)
def test_bicubic_matches_torch(shape, out):
    x = RNG.uniform(size=shape)
    ours = resize(x, out, kernel="bicubic", antialias=False)
    np.testing.assert_allclose(ours, torch_resize(x, out, "bicubic"), atol=1e-6)


@pytest.mark.parametrize(("shape", "out"), SHAPES[:4])
def test_bilinear_and_nearest_match_torch_when_upscaling(shape, out):
    x = RNG.uniform(size=shape)
    np.testing.assert_allclose(
        resize(x, out, kernel="bilinear", antialias=False), torch_resize(x, out, "bilinear"), atol=1e-6
    )
    np.testing.assert_array_equal(
        resize(x, out, kernel="nearest"), torch_resize(x, out, "nearest-exact").astype(np.float32)
    )


@pytest.mark.parametrize(("shape", "out"), SHAPES)
def test_bicubic_matches_opencv_inter_cubic(shape, out):
    cv2 = pytest.importorskip("cv2")
    x = RNG.uniform(size=shape).astype(np.float32)
    ref = cv2.resize(x, (out[1], out[0]), interpolation=cv2.INTER_CUBIC)
    np.testing.assert_allclose(resize(x, out, kernel="bicubic", antialias=False), ref, atol=1e-5)


@pytest.mark.parametrize(("shape", "out"), SHAPES[:4])
def test_bilinear_matches_opencv_inter_linear_when_upscaling(shape, out):
    cv2 = pytest.importorskip("cv2")
    x = RNG.uniform(size=shape).astype(np.float32)
    ref = cv2.resize(x, (out[1], out[0]), interpolation=cv2.INTER_LINEAR)
    np.testing.assert_allclose(resize(x, out, kernel="bilinear", antialias=False), ref, atol=1e-5)


@pytest.mark.parametrize("kernel", ["nearest", "bilinear", "bicubic"])
@pytest.mark.parametrize("antialias", [False, True])
@pytest.mark.parametrize("out", [(40, 40), (33, 21), (7, 5), (16, 16)])
def test_constant_stays_constant(kernel, antialias, out):
    y = resize(np.full((16, 16), 0.37), out, kernel=kernel, antialias=antialias)
    assert y.shape == out
    np.testing.assert_allclose(y, 0.37, atol=1e-6)


def test_nearest_by_hand():
    # half-pixel centres: output i samples source floor((i + 0.5) * n_in / n_out)
    np.testing.assert_array_equal(resize(np.array([[1.0, 2.0]]), (1, 4), kernel="nearest"), [[1, 1, 2, 2]])
    np.testing.assert_array_equal(resize(np.array([[1.0, 2.0, 3.0]]), (1, 2), kernel="nearest"), [[1, 3]])
    # 2 -> 5: centres 0.2, 0.6, 1.0, 1.4, 1.8 -> 0, 0, 1, 1, 1
    np.testing.assert_array_equal(
        resize(np.array([[1.0, 2.0]]), (1, 5), kernel="nearest"), [[1, 1, 2, 2, 2]]
    )


def test_bilinear_by_hand():
    # 2 -> 4: source coordinates -0.25, 0.25, 0.75, 1.25; edges clamp
    y = resize(np.array([[0.0, 1.0]]), (1, 4), kernel="bilinear")
    np.testing.assert_allclose(y, [[0.0, 0.25, 0.75, 1.0]], atol=1e-7)
    # anti-aliased 2x down: triangle stretched by 2 -> taps 1/8, 3/8, 3/8, 1/8 in the interior
    x = np.zeros((1, 8))
    x[0, 3] = 1.0
    y = resize(x, (1, 4), kernel="bilinear", antialias=True)
    np.testing.assert_allclose(y, [[0.0, 3 / 8, 1 / 8, 0.0]], atol=1e-7)
    # without anti-aliasing 2x down samples midway between pixel pairs
    y = resize(np.arange(8.0)[None], (1, 4), kernel="bilinear", antialias=False)
    np.testing.assert_allclose(y, [[0.5, 2.5, 4.5, 6.5]], atol=1e-6)


def test_bicubic_keys_weights_at_half_pixel():
    # 2x up, interior output at source coordinate k + 0.25: Keys a=-0.75 weights
    def w(t, a=-0.75):
        t = abs(t)
        return (a + 2) * t**3 - (a + 3) * t**2 + 1 if t <= 1 else a * t**3 - 5 * a * t**2 + 8 * a * t - 4 * a

    m = resize_matrix(8, 16, kernel="bicubic")
    expected = [w(1.25), w(0.25), w(0.75), w(1.75)]
    np.testing.assert_allclose(m[9, 3:7], expected, atol=1e-12)  # out 9 -> (9.5)/2 - 0.5 = 4.25
    assert abs(sum(expected) - 1) < 1e-12


def test_matrix_form_and_batches():
    x = RNG.uniform(size=(3, 10, 14))
    rh, rw = resize_matrix(10, 25), resize_matrix(14, 35)
    np.testing.assert_allclose(rh.sum(axis=1), 1.0)
    y = resize(x, (25, 35))
    assert y.shape == (3, 25, 35) and y.dtype == np.float32
    np.testing.assert_allclose(y[1], rh @ x[1] @ rw.T, atol=1e-6)
    np.testing.assert_allclose(y[2], resize(x[2], (25, 35)), atol=0)


def test_clip_and_errors():
    x = np.zeros((8, 8))
    x[4, 4] = 1.0
    assert resize(x, (16, 16)).min() < 0  # cubic overshoot ...
    assert resize(x, (16, 16), clip=True).min() == 0  # ... clipped on request
    with pytest.raises(ValueError, match="unknown kernel 'lanczos'"):
        resize(x, (4, 4), kernel="lanczos")
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        resize(np.ones(4), (4, 4))
    with pytest.raises(ValueError, match="sizes must be positive"):
        resize_matrix(0, 4)


@pytest.mark.parametrize("good", [1.0001, 2, 2.5, 16, "3"])
def test_check_scale_accepts(good):
    assert check_scale(good) == float(good)


@pytest.mark.parametrize("bad", [1, 0.5, 0, -2, 16.01, 100, float("nan"), float("inf"), "x", None])
def test_check_scale_refuses_with_value(bad):
    with pytest.raises(ValueError, match="scale must be") as info:
        check_scale(bad)
    assert repr(bad) in str(info.value)


def test_scaled_shape():
    assert scaled_shape((64, 50), 2.5) == (160, 125)
    assert scaled_shape((3, 3), 0.1) == (1, 1)
