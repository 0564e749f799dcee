"""The method interface and registry.

A *method* maps LR images to SR images of a requested size::

    method(lr, out_shape) -> sr

with ``lr`` of shape (H, W) or (N, H, W), float32 in [0, 1], and ``sr`` of
shape (out_h, out_w) or (N, out_h, out_w). Methods are built by factories
described by records registered in :data:`METHODS`; a method *spec* is
``name`` or ``name:arg`` (e.g. ``liif:run/best.pt``), read by
:func:`mrisr.methods.spec.parse_spec`, and :func:`mrisr.methods.make_method`
builds it.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from mrisr.methods.spec import MethodInfo
from mrisr.registry import Registry


class Method(Protocol):
    """Anything that upscales a batch of grey images to ``out_shape``."""

    name: str

    def __call__(self, lr: np.ndarray, out_shape: tuple[int, int]) -> np.ndarray: ...


#: name -> :class:`~mrisr.methods.spec.MethodInfo` (the record says how to build the method and what it takes);
#: the providers register themselves when :mod:`mrisr.methods` imports them (:mod:`mrisr.methods.catalog`)
METHODS: Registry[MethodInfo] = Registry("method")


def as_batch(lr: np.ndarray) -> tuple[np.ndarray, bool]:
    """Return ``(lr as (N, H, W) float32, was_single)``."""
    x = np.asarray(lr, dtype=np.float32)
    if x.ndim == 2:
        return x[None], True
    if x.ndim != 3:
        raise ValueError(f"expected (H, W) or (N, H, W) images, got shape {x.shape}")
    return x, False
