"""Every method, registered by plain imports, and the functions that build them by spec.

Importing this module imports the providers, each of which registers its
records in :data:`~mrisr.methods.base.METHODS` at import: the interpolation
baselines, ELRTV (:mod:`mrisr.classical.method`) and the LIIF models
(:mod:`mrisr.models.method`). The providers import torch, Optuna and the
weights lazily, so this stays light.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import mrisr.classical.method  # noqa: F401  (registers elrtv)
import mrisr.methods.baselines  # noqa: F401  (registers nearest, bilinear, bicubic, zerofill)
import mrisr.models.method  # noqa: F401  (registers liif, the shipped weights and ensembles, liif-selfsup)
from mrisr.methods.base import METHODS, Method
from mrisr.methods.inputcheck import CheckedMethod
from mrisr.methods.intensity import guard
from mrisr.methods.spec import MethodInfo, MethodSpec, parse_spec


def method_info(spec: str | MethodSpec, *, in_plane: bool = False) -> MethodInfo:
    """The record of the method a spec names.

    Parameters
    ----------
    spec : str or MethodSpec
        ``'name'`` or ``'name:arg'``.
    in_plane : bool, default False
        Refuse a method that only adds slices to a volume (``through_plane_only``).

    Raises
    ------
    ValueError
        An unknown name (with the closest spelling), or a through-plane-only
        method asked for in-plane use.
    """
    spec = parse_spec(spec)
    info = METHODS.get(spec.name)
    if in_plane and info.through_plane_only:
        raise ValueError(f"{spec.name} is fitted to a thick-slice volume's own slices and adds slices: "
                         "use it with upscale_through_plane (mrisr upscale --through-plane / --isotropic)")
    return info


def device_params(spec: str | MethodSpec, device: Any) -> dict[str, str]:
    """``{'device': ...}`` for a method of the LIIF family (it runs on a torch device), else ``{}``.

    The classical and interpolation methods are NumPy code and take no device;
    ``device`` is passed on as given (:func:`mrisr.devices.parse_device` reads it).

    Raises
    ------
    ValueError
        An unknown method name (with the closest spelling).
    """
    if device is None or method_info(spec).family != "liif":
        return {}
    return {"device": str(device)}


def make_method(spec: str | MethodSpec, *, scale: float, params: Mapping[str, Any] | None = None) -> Method:
    """Build a method from a spec such as ``'bicubic'``, ``'elrtv'`` or ``'liif:CKPT'``.

    Parameters
    ----------
    spec : str or MethodSpec
        Registered name, optionally ``:arg`` (a checkpoint path for ``liif``).
    scale : float
        The upscaling factor the method will be used at (classical methods
        pick their degradation operator and presets from it).
    params : dict, optional
        Extra keyword options for the factory (e.g. tuned ELRTV parameters),
        checked against the method's record. ``intensity`` is taken out
        first: ``'auto'`` (default) wraps a method whose record says where its
        training inputs lay (``intensity_reference``) in an
        :class:`~mrisr.methods.intensity.IntensityGuard`, ``'off'`` never does,
        a mapping gives a range of one's own (:mod:`mrisr.methods.intensity`).
        ``check`` too: ``'off'`` (default) runs the method as it is,
        ``'warn'`` warns once when its first input looks unlike the method's
        training inputs and ``'strict'`` raises ``ValueError`` then
        (:mod:`mrisr.methods.inputcheck`; outputs are the same either way).

    Raises
    ------
    ValueError
        An unknown name, a through-plane-only method, a missing or unexpected
        ``:arg``, an unknown parameter, or what the factory refuses.
    """
    spec = parse_spec(spec, params)
    info = method_info(spec, in_plane=True)
    info.check(spec)
    opts = dict(spec.params)
    intensity, check = opts.pop("intensity", "auto"), opts.pop("check", "off")
    if check not in ("off", "warn", "strict"):
        raise ValueError(f"method option check must be off, warn or strict, got {check!r}")
    method = info.factory(scale=float(scale), arg=spec.arg, **opts)
    method = guard(method, intensity, scale=float(scale), reference=info.intensity_reference)
    if check == "off" or info.trained_on is None:
        return method
    return CheckedMethod(method, spec, scale=float(scale), strict=check == "strict")


def available_methods(*, runnable: bool = False) -> list[str]:
    """Names of all registered methods.

    With ``runnable=True``, leave out methods that cannot run on an image by
    name alone: those that need a ``:arg`` (such as ``liif``, which needs a
    checkpoint path) and those that only add slices to a volume (``liif-selfsup``).
    """
    names = METHODS.names()
    if not runnable:
        return names
    return [n for n in names if not (METHODS.get(n).needs_arg or METHODS.get(n).through_plane_only)]


def default_method(scale: float) -> str:
    """The method mrisr runs when none is named, at ``scale``.

    A default shipped arbitrary-scale model whose range covers ``scale`` (``liif-blind``) first; else the
    default shipped weights validated nearest to ``scale``; ``'bicubic'`` when no weights are installed.
    Off-domain models and ensembles are never defaults (``default: false`` in the weights' index).
    """
    from mrisr.weights import index

    entries = [e for e in index() if e.default]
    for e in entries:
        if e.scale_range and e.validated_for(e.methods[0], scale):
            return e.methods[0]
    named = [(abs(s - scale), m) for e in entries if not e.scale_range
             for m, s in zip(e.methods, e.scales, strict=True)]
    return min(named)[1] if named else "bicubic"
