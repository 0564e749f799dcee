"""Method specs (one parser) and method records (what each registered method takes)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from mrisr.methods import (
    METHODS,
    MethodInfo,
    MethodSpec,
    available_methods,
    make_method,
    method_info,
    parse_spec,
)
from mrisr.weights import ensembles, index


@pytest.mark.parametrize(
    ("text", "name", "arg"),
    [
        ("bicubic", "bicubic", None),
        (" elrtv ", "elrtv", None),
        ("liif:run/best.pt", "liif", "run/best.pt"),
        (" liif :C:/w/best.pt", "liif", "C:/w/best.pt"),  # only the first ':' splits
        ("elrtv:", "elrtv", None),  # an empty argument is none
    ],
)
def test_parse_spec(text, name, arg):
    spec = parse_spec(text, {"k": 1})
    assert (spec.name, spec.arg, dict(spec.params)) == (name, arg, {"k": 1})
    assert parse_spec(str(spec)) == MethodSpec(name, arg)


def test_parse_spec_passes_a_spec_through_and_refuses_other_types():
    spec = MethodSpec("liif", "a.pt", {"device": "cpu"})
    assert parse_spec(spec) is spec
    assert parse_spec(spec, {"chunk": 8}).params == {"chunk": 8}
    with pytest.raises(TypeError, match="a method spec is a string"):
        parse_spec(3)


def test_every_method_has_a_record():
    for name in available_methods():
        info = METHODS.get(name)
        assert isinstance(info, MethodInfo) and info.summary and info.family in {"interpolation", "elrtv", "liif"}
        assert info.needs_arg <= bool(info.arg)  # a method that needs an argument says what it is
        assert (info.factory is None) == info.through_plane_only


def test_the_records_say_what_each_method_takes():
    assert all(METHODS.get(b).params == frozenset() for b in ("nearest", "bilinear", "bicubic", "zerofill"))
    assert METHODS.get("elrtv").takes_operator and METHODS.get("elrtv").arg
    assert METHODS.get("liif").needs_arg and "device" in METHODS.get("liif").params
    for entry in index():
        for m, s in zip(entry.methods, entry.scales, strict=True):
            assert METHODS.get(m).scales == (entry.scale_range or (s,)) and METHODS.get(m).intensity_reference is not None
            assert METHODS.get(m).trained_on == entry.trained_on
    for ens in ensembles():
        assert METHODS.get(ens.method).members == tuple(ens.members)
        assert METHODS.get(ens.method).scales == (ens.scale,)


def test_liif_selfsup_is_a_through_plane_only_record():
    from mrisr.volume.selfsup import METHOD

    info = method_info(METHOD)
    assert info.through_plane_only and info.family == "liif"
    assert METHOD in available_methods() and METHOD not in available_methods(runnable=True)
    assert "liif" not in available_methods(runnable=True)  # needs a checkpoint
    with pytest.raises(ValueError, match="adds slices: use it with upscale_through_plane"):
        make_method(METHOD, scale=2)
    with pytest.raises(ValueError, match="adds slices"):
        method_info(f" {METHOD} ", in_plane=True)


@pytest.mark.parametrize(
    ("spec", "params", "message"),
    [
        ("bicubc", None, "unknown method 'bicubc'; did you mean 'bicubic'?"),
        ("liif", None, "method 'liif' needs a checkpoint: liif:PATH"),
        ("bicubic:x", None, "method 'bicubic' takes no ':' argument, got 'x'"),
        ("liif-x2:x", None, "takes no ':' argument, got 'x'; use liif:PATH for other weights"),
        ("bicubic", {"sigma": 1, "k": 2}, r"method 'bicubic' takes no parameters, got \['k', 'sigma'\]"),
        ("liif-x2", {"bogus": 1, "chunk": 8}, r"method 'liif-x2' takes no parameter 'bogus' \(check --params\)"),
        ("liif-x2", {"b": 1, "a": 1}, "takes no parameter 'a', 'b'"),
        ("liif:x.pt", {"any_scale": True}, "method 'liif' takes no parameter 'any_scale'"),
    ],
)
def test_bad_specs_are_refused_in_one_line_before_anything_is_built(spec, params, message):
    with pytest.raises(ValueError, match=message) as err:
        make_method(spec, scale=2, params=params)
    assert "\n" not in str(err.value)


def test_intensity_is_every_methods_parameter():
    make_method("bicubic", scale=2, params={"intensity": "off"})


def test_providers_register_by_plain_import_and_the_cli_stays_light():
    code = ("import sys; import mrisr.cli.main; light = 'torch' not in sys.modules and 'mrisr.methods' not in "
            "sys.modules; from mrisr.methods import make_method; make_method('elrtv', scale=2); "
            "make_method('bicubic', scale=2); from mrisr.methods import METHODS; print(light, 'liif-x2' in METHODS)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["True", "True"]
