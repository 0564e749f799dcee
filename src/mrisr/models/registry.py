"""The model registry and spec-driven construction."""

from __future__ import annotations

from typing import Any

from mrisr.registry import Registry

MODELS: Registry = Registry("model")


def make_model(spec: dict[str, Any]):
    """Build a model from ``{"name": str, "args": dict}``.

    Raises
    ------
    ValueError
        Unknown model name (with the closest match) or a spec that is not a mapping.
    TypeError
        Unexpected arguments for the model class.
    """
    if not isinstance(spec, dict) or "name" not in spec:
        raise ValueError(f"model spec must be a mapping with a 'name', got {spec!r}")
    cls = MODELS.get(spec["name"])
    return cls(**dict(spec.get("args") or {}))
