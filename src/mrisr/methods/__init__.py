"""SR methods behind one registry: baselines, ELRTV, LIIF checkpoints.

Registration happens by explicit import in :func:`_ensure_registered`, which
imports only light modules (factories import torch lazily).
"""

from __future__ import annotations

import importlib

from mrisr.methods.base import METHODS, Method, available_methods, make_method

__all__ = ["METHODS", "Method", "available_methods", "make_method"]

_PROVIDERS = ("mrisr.methods.baselines", "mrisr.classical.method", "mrisr.models.method")
_done = False


def _ensure_registered() -> None:
    global _done
    if _done:
        return
    _done = True
    for mod in _PROVIDERS:
        try:
            importlib.import_module(mod)
        except ModuleNotFoundError as exc:
            if exc.name != mod:  # a provider that exists but is broken must fail loudly
                raise
