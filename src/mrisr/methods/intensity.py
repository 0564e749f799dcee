"""Keep a trained method's inputs at the intensity level it was trained on.

Learned and tuned methods are not scale-equivariant: ``f(g * x) != g * f(x)``.
The shipped LIIF models learned IXI's convention (every HR slice scaled to a
maximum of 1) and lose 1.2 dB at 2x and 1.3 dB at 4x on val when their input is
half as bright (the repository's ``docs/results.md``, "Intensity"). Real inputs rarely follow
that convention: a volume mapped to [0, 1] by its brightest voxel, a 12-bit scan
in a 16-bit PNG, a slice with a few hot voxels.

:class:`IntensityGuard` wraps a method with an :class:`IntensityRange`, the
spread of one statistic (a high percentile, robust to a few hot voxels) over
the method's training inputs:

- statistic inside ``[lo, hi]``: the image is passed on untouched, so inputs
  like the training data give exactly the unwrapped method's output;
- outside: the image is divided by ``g = statistic / target`` (``target`` the
  training median), super-resolved, and multiplied by ``g``. Whatever then lies
  above 1 (hot voxels) is cut off before the method and upscaled by bicubic
  interpolation, which commutes with scaling, and added back.

Outside the range the result is exactly equivariant, ``guard(c * x) = c * guard(x)``;
at the range's edges the rule switches (a deliberate step: inside, no input is
altered).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import numpy as np

from mrisr.data.resize import resize
from mrisr.methods.base import as_batch


@dataclass(frozen=True)
class IntensityRange:
    """The spread of an intensity statistic over a method's training inputs.

    Attributes
    ----------
    percentile : float
        The statistic: this percentile of each image's pixel values.
    lo, hi : float
        Range of the statistic treated as "like the training data".
    target : float
        Level an out-of-range image is brought to (the training median).
    """

    percentile: float
    lo: float
    hi: float
    target: float

    def __post_init__(self) -> None:
        if not (0 < self.percentile <= 100):
            raise ValueError(f"intensity percentile must lie in (0, 100], got {self.percentile!r}")
        if not (0 < self.lo <= self.target <= self.hi):
            raise ValueError(f"intensity range needs 0 < lo <= target <= hi, got {self.lo!r}, {self.target!r}, {self.hi!r}")

    @classmethod
    def measure(cls, images: Iterable[np.ndarray], *, percentile: float = 99.9, tail: float = 0.0) -> IntensityRange:
        """Range from training inputs: their statistic's ``tail``-th to ``(100 - tail)``-th percentile.

        Parameters
        ----------
        images : iterable of ndarray
            The method's training inputs (LR images in [0, 1]).
        percentile : float, default 99.9
            Which pixel percentile is the statistic.
        tail : float, default 0
            Per cent of training images left outside the range at each end. The
            default, 0, spans all of them: the statistic is only a proxy for
            IXI's convention (HR maximum 1), and training images at its extremes
            are better left untouched (the repository's ``docs/results.md``, "Intensity").
        """
        stats = np.array([np.percentile(np.asarray(x, dtype=np.float64), percentile) for x in images])
        if stats.size == 0:
            raise ValueError("no images to measure an intensity range from")
        if not (stats > 0).all():
            raise ValueError("an image with a zero intensity statistic (blank?) among the training inputs")
        lo, hi = np.percentile(stats, [tail, 100 - tail])
        return cls(percentile=float(percentile), lo=float(lo), hi=float(hi), target=float(np.median(stats)))

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> IntensityRange:
        unknown = set(d) - {"percentile", "lo", "hi", "target"}
        if unknown:
            raise ValueError(f"unknown intensity range keys {sorted(unknown)} (need percentile, lo, hi, target)")
        try:
            return cls(**{k: float(v) for k, v in d.items()})
        except TypeError:
            raise ValueError(f"intensity range needs percentile, lo, hi and target, got {sorted(d)}") from None

    def to_dict(self) -> dict[str, float]:
        return asdict(self)

    def gains(self, images: np.ndarray) -> np.ndarray:
        """Per image of (N, H, W): 1 inside the range, else ``statistic / target`` (1 for a blank image)."""
        x = np.asarray(images, dtype=np.float64).reshape(len(images), -1)
        stat = np.percentile(x, self.percentile, axis=1)
        outside = (stat > 0) & ((stat < self.lo) | (stat > self.hi))
        return np.where(outside, stat / self.target, 1.0)


class IntensityGuard:
    """A method that sees its inputs at its training intensity level (see the module notes).

    Parameters
    ----------
    method : callable
        ``method(lr, out_shape) -> sr`` on float images in [0, 1].
    reference : IntensityRange
        Where the method's training inputs lay.
    """

    def __init__(self, method, reference: IntensityRange) -> None:
        self.method, self.reference = method, reference
        self.name = getattr(method, "name", str(method))
        self.info: dict[str, Any] = {**getattr(method, "info", {}), "intensity": reference.to_dict()}

    def __getattr__(self, name: str) -> Any:
        """Anything else (``params``, ``model``, ``members`` ...) is the wrapped method's."""
        if name == "method":  # not set yet (e.g. during copying): no recursion
            raise AttributeError(name)
        return getattr(self.method, name)

    def __call__(self, lr: np.ndarray, out_shape: tuple[int, int]) -> np.ndarray:
        x, single = as_batch(lr)
        g = self.reference.gains(x).astype(np.float32)
        if np.all(g == 1):
            return self.method(lr, out_shape)
        with _read_as_given(self.method, lr, out_shape):
            out = self._rescaled(x, g, out_shape)
        return out[0] if single else out

    def _rescaled(self, x: np.ndarray, g: np.ndarray, out_shape: tuple[int, int]) -> np.ndarray:
        xn = x / g[:, None, None]
        base = np.minimum(xn, 1.0)
        sr = np.asarray(self.method(base, out_shape), dtype=np.float32).reshape(len(x), *out_shape)
        excess = xn - base
        if excess.any():
            sr = sr + resize(excess, out_shape, kernel="bicubic", antialias=False, clip=False)
        return np.clip(sr * g[:, None, None], 0.0, 1.0)


@contextmanager
def _read_as_given(method, lr: np.ndarray, out_shape: tuple[int, int]):
    """A method that reads the acquisition from its input (``liif-blind``: ``pin_reading``) reads ``lr`` as
    given, not rescaled and clipped: rescaling hides how it was stored, clipping changes its spectrum."""
    pin = getattr(method, "pin_reading", None)
    if pin is None or getattr(method, "pinned", None) is not None:
        yield
        return
    pin(lr, out_shape)
    try:
        yield
    finally:
        pin(None, out_shape)


@lru_cache(maxsize=1)
def _reference_file() -> dict:
    f = resources.files("mrisr.methods") / "intensity_reference.json"
    return json.loads(f.read_text(encoding="utf-8")) if f.is_file() else {}


def nearest_range(scales: Mapping[str, Any], scale: float) -> IntensityRange | None:
    """The range of ``{scale: {"range": {...}}}`` recorded nearest to ``scale`` (None if there is none)."""
    if not scales:
        return None
    nearest = min(scales, key=lambda s: abs(float(s) - float(scale)))
    return IntensityRange.from_dict(scales[nearest]["range"])


def shipped_reference(scale: float) -> IntensityRange | None:
    """The range of IXI's stored training LR images (the shipped methods' inputs) at the nearest scale."""
    return nearest_range(_reference_file().get("scales", {}), scale)


def guard(method, setting: Any, *, scale: float, reference=None):
    """Wrap ``method`` according to a user's ``intensity`` setting.

    Parameters
    ----------
    method : callable
        The method to wrap.
    setting : {'auto', 'off'} or mapping
        ``'auto'``: the method's own recorded range, if it has one; ``'off'``:
        no guard; a mapping: an :class:`IntensityRange` of one's own.
    scale : float
        The scale the method is used at.
    reference : callable, optional
        ``reference(scale) -> IntensityRange | None``: where the method's
        training inputs lay (a factory's ``intensity_reference``).
    """
    if isinstance(setting, Mapping):
        return IntensityGuard(method, IntensityRange.from_dict(setting))
    if setting in (False, None, "off"):
        return method
    if setting != "auto":
        raise ValueError(f"intensity must be 'auto', 'off' or a range mapping, got {setting!r}")
    ref = reference(scale) if reference is not None else None
    return IntensityGuard(method, ref) if ref else method
