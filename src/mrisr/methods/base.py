"""The method interface and registry.

A *method* maps LR images to SR images of a requested size::

    method(lr, out_shape) -> sr

with ``lr`` of shape (H, W) or (N, H, W), float32 in [0, 1], and ``sr`` of
shape (out_h, out_w) or (N, out_h, out_w). Methods are built by factories
registered in :data:`METHODS`; a method *spec* is ``name`` or ``name:arg``
(e.g. ``liif:run/best.pt``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

import numpy as np

from mrisr.registry import Registry


class Method(Protocol):
    """Anything that upscales a batch of grey images to ``out_shape``."""

    name: str

    def __call__(self, lr: np.ndarray, out_shape: tuple[int, int]) -> np.ndarray: ...


#: name -> factory ``f(*, scale, arg, **params) -> Method``
METHODS: Registry[Callable[..., Method]] = Registry("method")


def make_method(spec: str, *, scale: float, params: dict[str, Any] | None = None) -> Method:
    """Build a method from a spec such as ``'bicubic'``, ``'elrtv'`` or ``'liif:CKPT'``.

    Parameters
    ----------
    spec : str
        Registered name, optionally ``:arg`` (a checkpoint path for ``liif``).
    scale : float
        The upscaling factor the method will be used at (classical methods
        pick their degradation operator and presets from it).
    params : dict, optional
        Extra keyword options for the factory (e.g. tuned ELRTV parameters).
        ``intensity`` is taken out first: ``'auto'`` (default) wraps a method
        whose factory records where its training inputs lay
        (``factory.intensity_reference(scale)``) in an
        :class:`~mrisr.methods.intensity.IntensityGuard`, ``'off'`` never does,
        a mapping gives a range of one's own (:mod:`mrisr.methods.intensity`).
    """
    from mrisr.methods import _ensure_registered

    _ensure_registered()
    from mrisr.methods.intensity import guard

    name, _, arg = spec.partition(":")
    factory = METHODS.get(name.strip())
    params = dict(params or {})
    intensity = params.pop("intensity", "auto")
    try:
        method = factory(scale=float(scale), arg=arg or None, **params)
    except TypeError as exc:  # a parameter the method does not take: a user mistake, not a crash
        if "unexpected keyword argument" not in str(exc):
            raise
        bad = str(exc).rsplit("argument", 1)[-1].strip()
        raise ValueError(f"method {name.strip()!r} takes no parameter {bad} (check --params)") from None
    return guard(method, intensity, scale=float(scale), reference=getattr(factory, "intensity_reference", None))


def available_methods(*, runnable: bool = False) -> list[str]:
    """Names of all registered methods.

    With ``runnable=True``, leave out factories that cannot run without a
    ``:arg`` (such as ``liif``, which needs a checkpoint path); they mark
    themselves with a true ``needs_arg`` attribute.
    """
    from mrisr.methods import _ensure_registered

    _ensure_registered()
    names = METHODS.names()
    return [n for n in names if not getattr(METHODS.get(n), "needs_arg", False)] if runnable else names


def as_batch(lr: np.ndarray) -> tuple[np.ndarray, bool]:
    """Return ``(lr as (N, H, W) float32, was_single)``."""
    x = np.asarray(lr, dtype=np.float32)
    if x.ndim == 2:
        return x[None], True
    if x.ndim != 3:
        raise ValueError(f"expected (H, W) or (N, H, W) images, got shape {x.shape}")
    return x, False
