"""YAML -> frozen dataclasses, validated on load."""

from mrisr.config.loader import (
    ConfigError,
    from_dict,
    load_params,
    load_yaml,
    parse_overrides,
    to_dict,
    with_overrides,
)

__all__ = ["ConfigError", "from_dict", "load_params", "load_yaml", "parse_overrides", "to_dict", "with_overrides"]
