"""Intensity mapping between a volume's units and the methods' [0, 1] range.

Methods work on float images in [0, 1]. A volume is mapped there by one linear
map for the whole volume (not per slice, so neighbouring slices stay
consistent)::

    unit = (value - lo) / (hi - lo),   lo = min(0, min(volume)),  hi = max(volume)

and back with the inverse. Why the full range and not a robust (percentile)
range: methods clip their output to [0, 1], so anything above a percentile
clip point (CSF and vessels are the brightest tissue in T2) would come back
flattened. The min/max map is invertible, so no intensity information is lost;
it also matches how the IXI training slices were scaled (maximum = full
range). Keeping ``lo = 0`` for non-negative data keeps the zero background at
zero, as in the training data. The price: a single extreme voxel compresses
everything else towards 0. Interpolation methods commute with the linear map;
trained and tuned methods do not, so :func:`mrisr.methods.make_method` wraps
them in :class:`mrisr.methods.intensity.IntensityGuard` (``intensity: auto``),
which brings each slice whose bright level lies outside the training range
back to the training level before the method and undoes it after.

Output values therefore lie in ``[lo, hi]``: the input's intensity range is
never exceeded. Integer outputs are rounded to the input's storage grid
(``inter + slope * k``) and clipped to the range of the storage type.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class IntensityMap:
    """A linear map ``value <-> (value - lo) / (hi - lo)``.

    Attributes
    ----------
    lo, hi : float
        Physical values mapped to 0 and 1 (``hi == lo`` for a constant volume).
    """

    lo: float
    hi: float

    @classmethod
    def from_raw(cls, raw: np.ndarray, *, slope: float = 1.0, inter: float = 0.0) -> IntensityMap:
        """Map for stored values ``raw`` whose physical values are ``raw * slope + inter``."""
        ends = np.array([raw.min(), raw.max()], dtype=np.float64) * slope + inter
        return cls(lo=float(min(ends.min(), 0.0)), hi=float(ends.max()))

    @property
    def span(self) -> float:
        """``hi - lo``, or 1 for a constant volume (so the map stays defined)."""
        return self.hi - self.lo if self.hi > self.lo else 1.0

    def to_unit(self, values: np.ndarray) -> np.ndarray:
        """Physical values -> float32 in [0, 1]."""
        return ((np.asarray(values, dtype=np.float64) - self.lo) / self.span).astype(np.float32)

    def from_unit(self, unit: np.ndarray) -> np.ndarray:
        """[0, 1] -> physical values (float64); input is clipped to [0, 1] first."""
        return np.clip(np.asarray(unit, dtype=np.float64), 0.0, 1.0) * self.span + self.lo


def encode(values: np.ndarray, dtype: np.dtype, *, slope: float = 1.0, inter: float = 0.0) -> np.ndarray:
    """Physical values -> stored values of ``dtype`` (``stored * slope + inter = value``).

    Integer types are rounded to the nearest grid step and clipped to the
    type's range; float types are cast (the scaling is not applied to floats:
    they are written in physical units with slope 1 and intercept 0).
    """
    dtype = np.dtype(dtype)
    x = np.asarray(values, dtype=np.float64)
    if dtype.kind == "f":
        return x.astype(dtype)
    info = np.iinfo(dtype)
    stored = np.rint((x - inter) / slope) if (slope, inter) != (1.0, 0.0) else np.rint(x)
    return np.clip(stored, info.min, info.max).astype(dtype)
