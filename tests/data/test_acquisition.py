"""mrisr.data.acquisition: the features of an LR image's spectrum and the reader over them."""

from __future__ import annotations

import numpy as np
import pytest

from mrisr.data import degrade
from mrisr.data.acquisition import (
    CLASSES,
    FEATURES,
    AcquisitionReader,
    acquisition_features,
    default_reader,
    read_acquisition,
)
from tests.conftest import textured_phantom


def _reader(bias: tuple[float, ...]) -> AcquisitionReader:
    """A reader whose output ignores the features: class probabilities softmax(bias)."""
    h = 4
    z = np.zeros
    return AcquisitionReader({"mean": z(FEATURES), "std": np.ones(FEATURES), "w0": z((h, FEATURES)), "b0": z(h),
                              "w1": z((h, h)), "b1": z(h), "w2": z((len(CLASSES), h)), "b2": np.array(bias)})


def test_features_are_finite_and_know_the_scale():
    lr = degrade(textured_phantom(128, seed=1), 2, kind="kspace+quant:8")
    f2, f4 = acquisition_features(lr, 2), acquisition_features(lr, 4)
    assert f2.shape == (FEATURES,) and np.isfinite(f2).all()
    np.testing.assert_allclose(f2[:-1], f4[:-1])
    assert (f2[-1], f4[-1]) == (1.0, 2.0)
    assert f2[-2] == 1.0  # every pixel on the 8-bit grid
    with pytest.raises(ValueError, match="at least 16x16"):
        acquisition_features(np.zeros((8, 32)), 2)


@pytest.mark.parametrize("side", [16, 24, 32, 48, 63])
def test_small_images_read_as_probabilities_not_nan(side):
    """Under about 64 pixels some narrow Nyquist bands hold no frequency sample (they used to read NaN)."""
    lr = degrade(textured_phantom(2 * side, seed=3), 2, kind="kspace+quant:8")
    assert np.isfinite(acquisition_features(lr, 2)).all()
    p = read_acquisition(lr, 2).probabilities
    assert np.isfinite(list(p.values())).all() and sum(p.values()) == pytest.approx(1.0)


def test_band_mean_averages_the_band_or_interpolates_an_empty_one():
    from mrisr.data.inspect import band_mean

    power = np.array([8.0, 4.0, 2.0, 1.0, 0.5])  # samples at 0, 0.125, 0.25, 0.375, 0.5 cycles/pixel
    assert band_mean(power, 0.1, 0.3) == pytest.approx(3.0)  # the samples at 0.125 and 0.25
    assert band_mean(power, 0.4, 0.45) == pytest.approx(1.0 - 0.5 * (0.425 - 0.375) / 0.125)  # none: interpolated


def test_features_do_not_change_with_brightness():
    lr = degrade(textured_phantom(128, seed=2), 2, kind="bicubic")
    a, b = acquisition_features(lr, 2), acquisition_features(0.5 * lr, 2)
    np.testing.assert_allclose(a[:44], b[:44], atol=1e-6)  # spectra in dB relative to a reference band


def test_reader_gives_probabilities_and_rejects_other_shapes():
    r = _reader((0.0, np.log(2), 0.0, np.log(3)))
    p = r.probabilities(np.zeros((3, FEATURES)))
    assert p.shape == (3, len(CLASSES))
    np.testing.assert_allclose(p[0], [1 / 7, 2 / 7, 1 / 7, 3 / 7])
    with pytest.raises(ValueError, match="not an acquisition reader"):
        AcquisitionReader({**r.tensors, "mean": np.zeros(5)})


def test_reading_leaves_out_the_study_pipeline_away_from_2x_and_4x():
    r = _reader((0.0, 0.0, 0.0, np.log(2)))
    lr = textured_phantom(64, seed=3)
    at2 = read_acquisition(lr, 2, reader=r)
    assert at2.study == pytest.approx(0.4) and at2.kspace == pytest.approx(0.4)
    at3 = read_acquisition(lr, 3, reader=r)
    assert at3.study == 0 and at3.probabilities["resize"] == pytest.approx(0.6)
    assert read_acquisition(np.zeros((8, 8)), 2, reader=r).probabilities["resize"] == 1.0  # too small to read


def test_shipped_reader_reads_synthetic_slices_it_never_saw():
    """Phantoms unlike its IXI and synthetic training slices: a hard k-space cut reads as one and reads higher
    than a bicubic resize of the same image; the study's pipeline reads higher than the same with noise."""
    reader = default_reader()
    hrs = [textured_phantom(256, seed=i) for i in range(3)]
    for s in (2, 4):
        k = [read_acquisition(degrade(h, s, kind="kspace+quant:8"), s, reader).kspace for h in hrs]
        b = [read_acquisition(degrade(h, s, kind="bicubic+quant:8"), s, reader).kspace for h in hrs]
        assert min(k) > 0.9 and all(x > y for x, y in zip(k, b, strict=True)), (k, b)
    study = [read_acquisition(degrade(h, 2, kind="gaussian:1+quant:8,floor"), 2, reader).study for h in hrs]
    noisy = [read_acquisition(degrade(h, 2, kind="gaussian:1+rician:0.02+quant:8,floor", seed=0), 2, reader).study
             for h in hrs]
    assert min(study) > max(noisy) and max(noisy) < 0.02


def test_reader_file_must_be_listed_in_the_index():
    from mrisr.errors import InputError
    from mrisr.weights import reader_path

    assert reader_path("acquisition_reader.safetensors").is_file()
    with pytest.raises(InputError, match="not listed under 'readers'"):
        reader_path("other.safetensors")


def test_consistency_weight_is_the_plain_share_falling_with_noise():
    from mrisr.data.acquisition import CONSISTENCY_NOISE_FLOOR, Reading

    p = {"resize": 0.2, "kspace": 0.6, "kspace-windowed": 0.2, "study": 0.0}
    assert Reading(p, 0.0).consistency_weight() == pytest.approx(0.75)
    assert Reading(p, CONSISTENCY_NOISE_FLOOR).consistency_weight() == pytest.approx(0.75)
    assert 0 < Reading(p, 0.01).consistency_weight() < 0.75
    assert Reading(p, 0.03).consistency_weight() == 0.0
    assert Reading({**p, "kspace": 0.0, "kspace-windowed": 0.0}, 0.0).consistency_weight() == 0.0


def test_rendering_is_the_likeliest_reading_but_noisy_inputs_lean_to_kspace():
    from mrisr.data.acquisition import NOISY_INPUT, NOISY_KSPACE_SHARE, Reading

    p = {"resize": 0.5, "kspace": 0.1, "kspace-windowed": 0.1, "study": 0.3}
    assert Reading(p, 0.0).rendering() == "resize"
    assert Reading({**p, "study": 0.45, "resize": 0.35}).rendering() == "study"
    assert Reading({**p, "study": 0.45, "resize": 0.35}).rendering(study=False) == "resize"  # folded in
    assert Reading({**p, "kspace": 0.4, "resize": 0.2, "study": 0.2}).rendering() == "kspace"
    # the same 0.2 k-space share: resized when clean, a k-space cut when noise may hide its edge
    assert Reading(p, NOISY_INPUT / 2).rendering() == "resize"
    assert Reading(p, NOISY_INPUT * 2).rendering() == "kspace"
    low = {**p, "kspace": NOISY_KSPACE_SHARE / 4, "kspace-windowed": NOISY_KSPACE_SHARE / 4}
    assert Reading(low, NOISY_INPUT * 2).rendering() == "resize"


def test_reading_reports_the_noise_of_the_input():
    r = _reader((0.0, 0.0, 0.0, 0.0))
    hr = textured_phantom(256, seed=4)
    clean = read_acquisition(degrade(hr, 2, kind="gaussian"), 2, reader=r)
    noisy = read_acquisition(degrade(hr, 2, kind="gaussian+rician:0.03", seed=1), 2, reader=r)
    assert clean.noise < 0.005 and noisy.noise == pytest.approx(0.03, rel=0.3)
