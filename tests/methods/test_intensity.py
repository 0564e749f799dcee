"""Tests for the intensity guard: inputs inside the training range untouched, outside it scale-equivariant."""

from __future__ import annotations

import numpy as np
import pytest

from mrisr.data import resize
from mrisr.methods import make_method
from mrisr.methods.intensity import IntensityGuard, IntensityRange, guard, shipped_reference
from tests.conftest import phantom

REF = IntensityRange(percentile=99.9, lo=0.6, hi=0.9, target=0.8)


def squared(lr, out_shape):
    """A method that is not scale-equivariant: bicubic, then squared."""
    return np.clip(resize(lr, out_shape, kernel="bicubic", antialias=False), 0, 1) ** 2


def test_measure_takes_the_spread_of_the_percentile_over_images():
    images = [np.full((8, 8), v, np.float32) for v in np.linspace(0.5, 1.0, 101)]
    r = IntensityRange.measure(images, percentile=99.9, tail=10)
    assert r.lo == pytest.approx(0.55) and r.hi == pytest.approx(0.95) and r.target == pytest.approx(0.75)


def test_measure_refuses_blank_training_images():
    with pytest.raises(ValueError, match="blank"):
        IntensityRange.measure([np.zeros((4, 4))])


@pytest.mark.parametrize("bad", [dict(lo=0.9, hi=0.6, target=0.8), dict(lo=0.0, hi=0.9, target=0.8),
                                 dict(lo=0.6, hi=0.9, target=0.95)])
def test_range_validates(bad):
    with pytest.raises(ValueError, match="lo <= target <= hi"):
        IntensityRange(percentile=99.9, **bad)


def test_from_dict_names_unknown_keys():
    with pytest.raises(ValueError, match="unknown intensity range keys"):
        IntensityRange.from_dict({**REF.to_dict(), "median": 0.8})
    assert IntensityRange.from_dict(REF.to_dict()) == REF


def test_inside_the_range_the_output_is_the_methods_own():
    lr = phantom(16) * 0.8  # 99.9th percentile about 0.8: inside [0.6, 0.9]
    np.testing.assert_array_equal(IntensityGuard(squared, REF)(lr, (32, 32)), squared(lr, (32, 32)))


@pytest.mark.parametrize("gain", [0.5, 0.25, 1 / 16])
def test_outside_the_range_the_guard_is_scale_equivariant(gain):
    lr = phantom(16)  # percentile about 1: above the range
    g = IntensityGuard(squared, REF)
    expect = g(lr, (32, 32))
    np.testing.assert_allclose(g(lr * gain, (32, 32)), expect * gain, atol=1e-6)
    # the unguarded method is not: the property above is the guard's doing
    assert np.abs(squared(lr * gain, (32, 32)) - squared(lr, (32, 32)) * gain).max() > 0.01


def test_an_out_of_range_image_is_rendered_at_the_target_level():
    lr = phantom(16) * 0.2
    stat = np.percentile(lr, 99.9)
    expect = squared(lr * REF.target / stat, (32, 32)) * stat / REF.target
    np.testing.assert_allclose(IntensityGuard(squared, REF)(lr, (32, 32)), expect, atol=1e-6)


def test_hot_pixels_above_one_go_through_bicubic_and_the_rest_through_the_method():
    lr = phantom(32) * 0.3
    hot = lr.copy()
    hot[5, 7] = 1.0  # one hot pixel: the percentile barely moves, the pixel lies far above the target level
    g = IntensityGuard(squared, REF)
    out, plain = g(hot, (64, 64)), g(lr, (64, 64))
    gain = np.percentile(hot, 99.9) / REF.target
    excess = np.zeros_like(lr)
    excess[5, 7] = 1.0 / gain - 1.0
    bump = resize(excess, (64, 64), kernel="bicubic", antialias=False) * gain
    base = squared(np.minimum(hot / gain, 1), (64, 64)) * gain
    np.testing.assert_allclose(out, np.clip(base + bump, 0, 1), atol=1e-6)
    assert out[10:14, 14:18].max() > plain[10:14, 14:18].max() + 0.2  # the hot pixel survives upscaling


def test_batches_get_a_gain_per_image():
    a, b = phantom(16, seed=1), phantom(16, seed=2) * 0.7
    g = IntensityGuard(squared, REF)
    batch = g(np.stack([a, b * 0.1]), (32, 32))
    np.testing.assert_allclose(batch[0], g(a, (32, 32)), atol=1e-6)
    np.testing.assert_allclose(batch[1], g(b * 0.1, (32, 32)), atol=1e-6)


def test_blank_images_pass_through():
    z = np.zeros((8, 8), np.float32)
    np.testing.assert_array_equal(IntensityGuard(squared, REF)(z, (16, 16)), squared(z, (16, 16)))


def test_guard_settings():
    assert guard(squared, "off", scale=2) is squared
    assert guard(squared, "auto", scale=2) is squared  # nothing recorded
    assert guard(squared, "auto", scale=2, reference=lambda s: REF).reference == REF
    assert guard(squared, "auto", scale=2, reference=lambda s: None) is squared
    assert isinstance(guard(squared, REF.to_dict(), scale=2), IntensityGuard)
    with pytest.raises(ValueError, match="intensity must be"):
        guard(squared, "on", scale=2)


def test_shipped_reference_is_the_nearest_recorded_scale():
    ref2, ref4 = shipped_reference(2), shipped_reference(4)
    assert ref2 is not None and ref4 is not None
    assert shipped_reference(2.4) == ref2 and shipped_reference(3.5) == ref4
    assert 0 < ref4.lo < ref4.target < ref4.hi <= 1


def test_make_method_guards_recorded_methods_only():
    assert isinstance(make_method("elrtv", scale=2), IntensityGuard)
    assert not isinstance(make_method("elrtv", scale=2, params={"intensity": "off"}), IntensityGuard)
    assert not isinstance(make_method("bicubic", scale=2), IntensityGuard)  # fitted on nothing
    custom = make_method("bicubic", scale=2, params={"intensity": REF.to_dict()})
    assert isinstance(custom, IntensityGuard) and custom.name == "bicubic"
    assert custom.info["intensity"] == REF.to_dict()


def test_made_elrtv_gives_the_same_result_in_any_dim_units():
    lr = np.clip(resize(phantom(48), (24, 24), kernel="bicubic"), 0, 1).astype(np.float32)
    guarded, plain = make_method("elrtv", scale=2), make_method("elrtv", scale=2, params={"intensity": "off"})
    a, b = 1 / 16, 1 / 4  # e.g. 12-bit and 14-bit data in 16-bit files
    np.testing.assert_allclose(guarded(lr * a, (48, 48)) / a, guarded(lr * b, (48, 48)) / b, atol=1e-4)
    assert np.abs(plain(lr * a, (48, 48)) / a - plain(lr * b, (48, 48)) / b).max() > 0.01


def test_the_guard_shows_the_wrapped_methods_attributes():
    m = make_method("elrtv", scale=2, params={"iters": 3})
    assert isinstance(m, IntensityGuard) and m.params["iters"] == 3 and m.method.params["iters"] == 3
    with pytest.raises(AttributeError):
        m.no_such_attribute  # noqa: B018


def test_a_weight_entry_with_its_own_range_is_guarded_by_it(monkeypatch):
    import mrisr.weights as w
    from mrisr.models.method import _reference_of

    entry = w.entry_for("liif-x2")
    own = {"2": {"range": REF.to_dict()}}
    monkeypatch.setattr(w, "entry_for", lambda m: w.WeightEntry(**{**entry.__dict__, "intensity": own}))
    assert _reference_of("liif-x2", 2) == REF
    monkeypatch.undo()
    assert _reference_of("liif-x2", 2) == shipped_reference(2)
    assert _reference_of("liif-x2", 3.5) == shipped_reference(2)  # the trained scale's inputs, at any scale of use
    assert _reference_of("not-shipped", 4) == shipped_reference(4)


def test_elrtv_uses_the_range_of_the_preset_it_runs():
    from mrisr.classical.method import _elrtv_reference

    assert _elrtv_reference(4) == shipped_reference(4)
    assert _elrtv_reference(3.5) == shipped_reference(2)  # other scales run the x2 preset


class _Reads:
    """A method that reads its input's acquisition (the pin_reading protocol of liif-blind)."""

    def __init__(self):
        self.pinned, self.read, self.seen = None, [], []

    def pin_reading(self, lr, out_shape):
        self.pinned = None if lr is None else "read"
        if lr is not None:
            self.read.append(np.array(lr))

    def __call__(self, lr, out_shape):
        self.seen.append(self.pinned)
        return squared(lr, out_shape)


def test_a_rescaled_input_is_read_as_given_then_unpinned():
    lr = phantom(16) * 0.2
    m = _Reads()
    IntensityGuard(m, REF)(lr, (32, 32))
    assert len(m.read) == 1 and np.array_equal(m.read[0], lr)  # the raw input, not the rescaled one
    assert m.seen == ["read"] and m.pinned is None
    m.pinned = "volume"  # a reading pinned by the caller (a volume) is kept
    IntensityGuard(m, REF)(lr, (32, 32))
    assert len(m.read) == 1 and m.pinned == "volume"
    inside = phantom(16) * 0.75 / np.percentile(phantom(16), 99.9)  # in range: nothing rescaled, nothing pinned
    m.pinned = None
    IntensityGuard(m, REF)(inside, (32, 32))
    assert len(m.read) == 1
