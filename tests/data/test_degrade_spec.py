"""The one degradation spec parser (mrisr.data.degrade.parse_degradation) and its errors."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from mrisr.data.degrade import DEGRADATIONS, degrade, make_config, parse_degradation
from mrisr.data.resample import GaussianConfig, KspaceConfig


def test_the_documented_example():
    p = parse_degradation("kspace:window=hann,pf=0.75+rician:0.02+quant:8")
    assert [s.name for s in p.steps] == ["kspace", "rician", "quant"]
    assert p.steps[0].config == KspaceConfig(window="hann", pf=0.75)
    assert p.steps[1].config.sigma == 0.02 and p.steps[2].config.bits == 8
    assert str(p) == "kspace:window=hann,pf=0.75+rician:sigma=0.02+quant:bits=8"


@pytest.mark.parametrize("spec", [
    "bicubic", "gaussian:sigma=1.2/0.8+noise:0.01", "bicubic+remap:nonmonotone+quant:8,floor",
    "kspace:hann,0.2,pf=0.6,pf_axis=1", "slice_profile:gaussian,1.5+bias:strength=0.3,order=2",
    "lanczos:2+gain:1.2+gamma:0.8+quant:12", "kernel:taps_h=0.25/0.5/0.25", " area + none ",
])
def test_canonical_spec_parses_back_to_the_same_pipeline(spec):
    p = parse_degradation(spec)
    assert parse_degradation(str(p)) == p


def test_bare_values_fill_options_in_order_and_types_follow_the_text():
    p = parse_degradation("quant:12,floor+area")
    assert p.steps[0].config.bits == 12 and p.steps[0].config.mode == "floor"
    assert parse_degradation("gaussian:1.5").steps[0].config == GaussianConfig(sigma=1.5)
    assert parse_degradation("gaussian:2/1").steps[0].config.sigma == (2, 1)


def test_configs_are_frozen_and_validated_on_construction():
    cfg = make_config("kspace", {"window": "tukey", "alpha": 0.3})
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.alpha = 0.5
    with pytest.raises(ValueError, match="alpha must be >= 0 and <= 1, got 2"):
        KspaceConfig(window="tukey", alpha=2)


@pytest.mark.parametrize(("spec", "message"), [
    ("rican:0.02+area", r"degradation step 'rican:0\.02': unknown degradation 'rican'; did you mean 'rician'\?"),
    ("kspace:windw=hann", r"step 'kspace:windw=hann': unknown kspace option 'windw'; did you mean 'window'"),
    ("kspace:window=han", r"unknown k-space window 'han'; did you mean 'hann'"),
    ("bicubic+remap:nonmonotonic", r"step 'remap:nonmonotonic': .*did you mean 'nonmonotone'"),
    ("area+quant:7", r"step 'quant:7': quant bits must be 8, 12 or 16, got 7"),
    ("kspace:pf=0.3", r"pf must be >= 0.5 and <= 1, got 0.3"),
    ("rician:0.02", r"0 resampling steps, needs exactly one \(one of: area, bicubic"),
    ("bicubic+gaussian", r"2 resampling steps"),
    ("bicubic++quant", r"empty step"),
    ("gaussian:sigma=1,2", r"value '2' needs a KEY="),
    ("bicubic:3", r"value '3' needs a KEY= \(options: none\)"),
    ("gaussian:sigma=", r"option 'sigma' has no value"),
    ("quant:bits=8,bits=12+area", r"option 'bits' given twice"),
    ("area+noise:-0.1", r"noise sigma must be >= 0"),
    ("", r"non-empty string"),
])
def test_bad_specs_give_one_line_naming_the_bad_part(spec, message):
    with pytest.raises(ValueError, match=message) as info:
        parse_degradation(spec)
    assert "\n" not in str(info.value)


def test_options_through_the_python_api():
    hr = np.random.default_rng(0).random((32, 32))
    np.testing.assert_array_equal(degrade(hr, 2, kind="gaussian", sigma=0.7), degrade(hr, 2, kind="gaussian:0.7"))
    with pytest.raises(ValueError, match="one family name"):
        degrade(hr, 2, kind="gaussian+quant:8", sigma=0.7)
    with pytest.raises(ValueError, match="did you mean 'sigma'"):
        degrade(hr, 2, kind="gaussian", sigmaa=0.7)


def test_every_family_is_documented_in_the_module_and_the_cli_help():
    import importlib

    module = importlib.import_module("mrisr.data.degrade")  # the attribute mrisr.data.degrade is the function
    from mrisr.cli.commands.evaluate import DEGRADE_HELP

    for name in DEGRADATIONS.names():
        assert f"``{name}``" in module.__doc__ or f"\n{name} " in module.__doc__, name
        assert name in DEGRADE_HELP, name


def test_same_grid_spec_refuses_resampling_and_applies_in_order():
    from mrisr.data.degrade import apply_same_grid, parse_same_grid

    assert parse_same_grid("") == ()
    with pytest.raises(ValueError, match="resampling step"):
        parse_same_grid("gamma:0.8+bicubic")
    steps = parse_same_grid("gain:2+gamma:2")
    x = np.linspace(0, 0.5, 11)
    np.testing.assert_allclose(apply_same_grid(x, steps, np.random.default_rng(0)), (2 * x) ** 2)
    np.testing.assert_allclose(apply_same_grid(x, parse_same_grid("gamma:2+gain:2"), None), 2 * x**2)
