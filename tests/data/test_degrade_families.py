"""Each degradation family against its definition (mrisr.data.degrade / resample / corrupt)."""

from __future__ import annotations

import numpy as np
import pytest

from mrisr.classical.operators import make_operator
from mrisr.data.corrupt import (
    BiasConfig,
    QuantConfig,
    RemapConfig,
    bias_field,
    quant_image,
    remap_image,
)
from mrisr.data.degrade import (
    DEGRADATIONS,
    apply_same_grid,
    degrade,
    operator_names,
    parse_degradation,
    parse_same_grid,
)
from mrisr.data.resample import KspaceConfig, kspace_image, kspace_weights, kspace_window
from mrisr.data.resize import resize_matrix
from tests.conftest import phantom


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def test_kspace_keeps_the_centre_of_the_spectrum_exactly(rng):
    hr = rng.random((64, 48))
    lr = kspace_image(hr, (32, 24), KspaceConfig()).astype(np.float64)
    k_hr = np.fft.fftshift(np.fft.fft2(hr))
    k_lr = np.fft.fftshift(np.fft.fft2(lr)) * (64 * 48) / (32 * 24)
    centre = k_hr[32 - 16 : 32 + 16, 24 - 12 : 24 + 12]
    # every kept frequency whose mirror is also kept (all but the unpaired Nyquist row and column)
    np.testing.assert_allclose(k_lr[1:, 1:], centre[1:, 1:], atol=1e-4 * np.abs(centre).max())


@pytest.mark.parametrize("window", ["hann", "hamming", "tukey"])
def test_windows_taper_from_one_at_the_centre(window):
    w = kspace_window(32, KspaceConfig(window=window))
    half = w[16:]  # from the zero frequency (index 16) outwards
    assert w[16] == 1.0 and np.all(np.diff(half) <= 1e-12) and half[-1] < 0.5
    np.testing.assert_allclose(w[1:16], w[17:][::-1])  # symmetric about the zero frequency
    if window == "hann":
        assert w[0] == pytest.approx(0.0)
    if window == "hamming":
        assert w[0] == pytest.approx(0.08)


def test_tukey_is_flat_then_tapers_and_alpha_one_is_hann():
    w = kspace_window(40, KspaceConfig(window="tukey", alpha=0.25))
    t = np.abs(np.arange(40) - 20) / 20
    assert np.all(w[t <= 0.75] == 1.0) and np.all(w[t > 0.8] < 1.0)
    np.testing.assert_allclose(kspace_window(40, KspaceConfig(window="tukey", alpha=1.0)),
                               kspace_window(40, KspaceConfig(window="hann")))


def test_windowed_kspace_keeps_the_mean_and_smooths(rng):
    hr = phantom(64)
    plain = degrade(hr, 2, kind="kspace")
    hann = degrade(hr, 2, kind="kspace:window=hann")
    assert abs(hann.mean() - hr.mean()) < 2e-3  # clipping of ringing aside, the zero frequency is kept
    assert np.abs(np.diff(hann, axis=1)).sum() < np.abs(np.diff(plain, axis=1)).sum()


@pytest.mark.parametrize(("pf", "axis", "zeroed"), [(0.75, 0, 8), (0.5, 1, 16), (0.625, 0, 12), (1.0, 0, 0)])
def test_partial_fourier_zeroes_the_right_fraction(pf, axis, zeroed):
    w = kspace_weights((32, 32), KspaceConfig(pf=pf, pf_axis=axis))
    lines = w.sum(axis=1 - axis)
    assert (lines == 0).sum() == zeroed and np.all(lines[:zeroed] == 0) and np.all(lines[zeroed:] > 0)
    assert np.all(w.sum(axis=axis) > 0)  # the other axis is fully sampled


def test_partial_fourier_image_is_the_magnitude_and_keeps_the_shape():
    hr = phantom(64)
    lr = degrade(hr, 2, kind="kspace:pf=0.6")
    assert lr.shape == (32, 32) and lr.min() >= 0
    assert not np.allclose(lr, degrade(hr, 2, kind="kspace"), atol=1e-3)


def test_rician_level_is_recovered_from_the_background():
    sigma = 0.03
    lr = degrade(np.zeros((256, 256)), 2, kind=f"area+rician:{sigma}", seed=5)
    # background magnitude is Rayleigh: mean sigma*sqrt(pi/2), second moment 2 sigma^2
    assert lr.mean() / np.sqrt(np.pi / 2) == pytest.approx(sigma, rel=0.02)
    assert np.sqrt((lr.astype(np.float64) ** 2).mean() / 2) == pytest.approx(sigma, rel=0.02)


def test_gaussian_noise_level_is_recovered_from_a_flat_image():
    lr = degrade(np.full((256, 256), 0.5), 2, kind="area+noise:0.02", seed=1)
    assert lr.mean() == pytest.approx(0.5, abs=1e-3) and lr.std() == pytest.approx(0.02, rel=0.02)
    assert np.array_equal(degrade(np.full((64, 64), 0.5), 2, kind="area+none"), degrade(np.full((64, 64), 0.5), 2,
                                                                                          kind="area"))


def sampled_gaussian(sigma: float, radius: int) -> np.ndarray:
    g = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2)
    return g / g.sum()  # scipy's kernel: sampled, truncated at 4 sigma, normalised


def test_gaussian_blur_of_an_impulse_is_the_anisotropic_gaussian():
    x = np.zeros((41, 41))
    x[20, 20] = 1.0
    out = parse_degradation("gaussian:sigma=2/1")(x, (41, 41), clip=False)  # same grid: the area step is identity
    expected = np.zeros((41, 41))
    expected[12:29, 16:25] = np.outer(sampled_gaussian(2.0, 8), sampled_gaussian(1.0, 4))
    np.testing.assert_allclose(out, expected, atol=1e-7)


@pytest.mark.parametrize("scale", [2, 2.5, 3.3])
def test_area_downscale_preserves_the_mean(scale):
    hr = phantom((66, 50), seed=2)
    assert degrade(hr, scale, kind="area").mean() == pytest.approx(float(hr.mean()), abs=1e-6)


def test_lanczos_weights_are_the_windowed_sinc():
    m = resize_matrix(8, 16, kernel="lanczos3")  # 2x up: the sample of row 5 sits at 2.25
    d = 2.25 - np.arange(8)
    w = np.where(np.abs(d) < 3, np.sinc(d) * np.sinc(d / 3), 0)
    np.testing.assert_allclose(m[5], w / w.sum(), atol=1e-12)
    np.testing.assert_allclose(degrade(np.full((40, 40), 0.3), 2.5, kind="lanczos"), 0.3, atol=1e-6)


@pytest.mark.parametrize(("bits", "levels"), [(8, 256), (12, 4096), (16, 65536)])
@pytest.mark.parametrize("mode", ["round", "floor"])
def test_quantisation_has_the_right_number_of_levels(bits, levels, mode):
    ramp = np.linspace(0, 1, 300_001)
    q = quant_image(ramp, QuantConfig(bits, mode), None)
    assert len(np.unique(q)) == levels
    np.testing.assert_allclose(q * (levels - 1), np.round(q * (levels - 1)), atol=1e-6)
    err = q - ramp
    if mode == "floor":
        assert err.max() <= 1e-12 and err.min() >= -1 / (levels - 1)
    else:
        assert np.abs(err).max() <= 0.5 / (levels - 1) + 1e-12


def test_quantise_flag_is_the_quant_8_step():
    hr = phantom(32)
    np.testing.assert_array_equal(degrade(hr, 2, quantise=True), degrade(hr, 2, kind="bicubic+quant:8"))


def test_gain_and_gamma_follow_their_definitions():
    hr = phantom(32)
    base = degrade(hr, 2, kind="area").astype(np.float64)
    np.testing.assert_allclose(degrade(hr, 2, kind="area+gain:0.5"), base * 0.5, atol=1e-7)
    np.testing.assert_allclose(degrade(hr, 2, kind="area+gamma:2"), base**2, atol=1e-6)


@pytest.mark.parametrize("sigma", [0.5, 1.0, 2.0])
def test_smooth_is_a_gaussian_blur_on_the_same_grid(sigma):
    """A cosine of frequency f keeps its phase and loses amplitude exp(-2 pi^2 sigma^2 f^2) (to 1 %: the kernel is
    sampled); the mean stays."""
    n, f = 128, 8 / 128
    x = 0.5 + 0.25 * np.cos(2 * np.pi * f * np.arange(n))[None, :] * np.ones((n, 1))
    out = apply_same_grid(x, parse_same_grid(f"smooth:{sigma}"), np.random.default_rng(0))
    inner = out[:, 32:-32] - 0.5
    expected = np.exp(-2 * np.pi**2 * sigma**2 * f**2)
    wave = x[:, 32:-32] - 0.5
    gain = np.sum(inner * wave) / np.sum(wave * wave)
    assert gain == pytest.approx(expected, rel=0.01)
    np.testing.assert_allclose(inner, gain * wave, atol=1e-6)  # same phase: a pure attenuation
    assert out.shape == x.shape and out.mean() == pytest.approx(x.mean(), abs=1e-6)
    with pytest.raises(ValueError, match="smooth sigma"):
        parse_same_grid("smooth:0")


def test_bias_field_is_smooth_and_bounded():
    cfg = BiasConfig(strength=0.3, order=3)
    f = bias_field((64, 64), cfg, np.random.default_rng(0))
    assert np.abs(np.log(f)).max() == pytest.approx(0.3)  # the field spans exp(+-strength) at its extreme
    assert np.abs(np.diff(np.log(f), 2, axis=0)).max() < 0.01  # slowly varying
    assert f.shape == (64, 64) and (f > 0).all()


@pytest.mark.parametrize("seed", range(5))
def test_monotone_remap_keeps_order_nonmonotone_does_not(seed):
    x = np.linspace(0, 1, 1001)
    mono = remap_image(x, RemapConfig("monotone", 6), np.random.default_rng(seed))
    assert np.all(np.diff(mono) > 0) and mono[0] == 0 and mono[-1] == pytest.approx(1)
    other = remap_image(x, RemapConfig("nonmonotone", 6), np.random.default_rng(seed))
    assert np.any(np.diff(other) < 0) and other[0] == 0


RANDOM = [n for n in DEGRADATIONS.names() if DEGRADATIONS.get(n).random]


@pytest.mark.parametrize("name", RANDOM)
def test_same_seed_same_output_different_seed_different(name):
    hr = phantom(48)
    spec = f"area+{name}"
    a, b, c = (degrade(hr, 2, kind=spec, seed=s) for s in (3, 3, 4))
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    assert parse_degradation(spec).random


def test_random_families_are_the_noise_bias_and_remap_ones():
    assert set(RANDOM) == {"noise", "rician", "bias", "remap"}


@pytest.mark.parametrize("name", operator_names())
def test_operator_matrices_are_the_image_function(name, rng):
    """One record per family: ELRTV's operator and the image degradation agree."""
    spec = {"kind": name, "taps_h": [0.1, 0.4, 0.4, 0.1]} if name == "kernel" else name
    hr = rng.random((48, 40))
    op = make_operator(spec, (48, 40), (24, 20))
    image = degrade(hr, 2, kind=name, **({"taps_h": spec["taps_h"]} if name == "kernel" else {}))
    np.testing.assert_allclose(np.clip(op.forward(hr), 0, 1), image, atol=2e-6)


def test_anisotropic_gaussian_operator_matches_the_image(rng):
    hr = rng.random((40, 40))
    op = make_operator({"kind": "gaussian", "sigma": [1.5, 0.7]}, (40, 40), (20, 20))
    np.testing.assert_allclose(op.forward(hr), degrade(hr, 2, kind="gaussian:sigma=1.5/0.7"), atol=2e-6)
    assert op.info == {"sigma": [1.5, 0.7]}


def test_pipeline_steps_run_in_order():
    hr = phantom(64)
    a = degrade(hr, 2, kind="gamma:2+area")  # gamma on the HR grid, then averaged
    b = degrade(hr, 2, kind="area+gamma:2")
    assert not np.allclose(a, b)
