"""Training config validation: errors name the bad key."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mrisr.config import ConfigError, with_overrides
from mrisr.train.config import load_train_config, parse_train_config

BASE = {"data": {"root": "/data"}}


def test_defaults_and_frozen():
    cfg = parse_train_config(BASE)
    assert cfg.model.name == "liif" and cfg.optim.lr == 2e-4 and cfg.data.pairs == ((2, 1),)
    with pytest.raises(AttributeError):
        cfg.steps = 3  # type: ignore[misc]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"data": {"root": "/d"}, "optim": {"lrr": 1e-3}}, "unknown key optim.lrr (did you mean optim.lr?)"),
        ({"data": {"root": "/d"}, "stpes": 3}, "did you mean steps"),
        ({"data": {"root": "/d"}, "steps": "many"}, "steps: expected an integer"),
        ({"data": {"root": "/d"}, "optim": {"schedule": "linear"}}, "optim.schedule must be"),
        ({"data": {"root": "/d", "pairs": [[2, 4]]}}, "data pairs must be"),
        ({"data": {"root": "/d"}, "ema": 1.5}, "ema must be in"),
        ({"model": {"name": "liif"}}, "missing required key data"),
        ({"data": {"root": "/d", "lr_patch": 2}}, "lr_patch must be >= 8"),
    ],
)
def test_bad_values_are_named(data, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        parse_train_config(data)


def test_dotted_overrides():
    out = with_overrides(BASE, ["optim.lr=1e-4", "data.pairs=[[4, 1]]"])
    cfg = parse_train_config(out)
    assert cfg.optim.lr == 1e-4 and cfg.data.pairs == ((4, 1),)
    assert BASE == {"data": {"root": "/data"}}  # not mutated
    with pytest.raises(ConfigError, match="KEY=VALUE"):
        with_overrides(BASE, ["optim.lr"])
    with pytest.raises(ConfigError, match=re.escape("--set 'optim.lr=[': the value is not valid YAML")):
        with_overrides(BASE, ["optim.lr=["])
    with pytest.raises(ConfigError, match="not valid YAML"):  # safe_load: no Python tags
        with_overrides(BASE, ["optim.lr=!!python/object/apply:os.system [echo]"])


@pytest.mark.parametrize("path", sorted((Path(__file__).parents[2] / "configs").glob("*.yaml")), ids=lambda p: p.name)
def test_shipped_configs_validate(path):
    cfg = load_train_config(path)
    assert cfg.model.name == "liif" and cfg.steps > 0


def test_null_optional_sections_stay_off_and_a_bad_one_names_its_key():
    # `render: null` (or --set render=null) must switch the section off, not build its defaults
    cfg = parse_train_config({**BASE, "render": None, "aux_data": None})
    assert cfg.render is None and cfg.aux_data is None
    with pytest.raises(ConfigError, match=re.escape("render.factor must be >= 2, got 1")):
        parse_train_config({"data": {"root": "/d", "queries": 0}, "render": {"factor": 1}})
