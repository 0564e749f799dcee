"""Tests for mrisr.registry.Registry."""

import pytest

from mrisr.registry import Registry


def make():
    reg = Registry("colour")

    @reg.register("red")
    def red():
        return "#f00"

    reg.register("green", lambda: "#0f0")
    return reg, red


def test_decorator_returns_object_and_get_finds_it():
    reg, red = make()
    assert red() == "#f00"
    assert reg.get("red") is red
    assert reg.get("green")() == "#0f0"


def test_names_sorted_contains_len_iter():
    reg, _ = make()
    reg.register("blue", object())
    assert reg.names() == ["blue", "green", "red"]
    assert list(reg) == ["blue", "green", "red"]
    assert len(reg) == 3
    assert "red" in reg and "purple" not in reg


def test_duplicate_name_refused():
    reg, _ = make()
    with pytest.raises(KeyError, match="colour 'red' is already registered"):
        reg.register("red", object())
    assert reg.get("red")() == "#f00"  # the first registration survives


def test_unknown_name_gives_closest_match_and_options():
    reg, _ = make()
    with pytest.raises(ValueError) as info:
        reg.get("gren")
    msg = str(info.value)
    assert "unknown colour 'gren'" in msg
    assert "did you mean 'green'?" in msg
    assert "options: green, red" in msg


def test_unknown_name_without_close_match_has_no_hint():
    reg, _ = make()
    with pytest.raises(ValueError) as info:
        reg.get("zzzzzz")
    assert "did you mean" not in str(info.value)


def test_empty_registry_message():
    with pytest.raises(ValueError, match=r"\(options: \(none\)\)"):
        Registry("thing").get("x")
