"""Interpolation baselines: nearest, bilinear, bicubic (any scale)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mrisr.data.resize import resize
from mrisr.methods.base import METHODS


@dataclass(frozen=True)
class Interpolation:
    """Separable interpolation with half-pixel centres.

    ``bicubic`` is Keys' cubic with a = -0.75, computed in float and clipped
    to [0, 1]: the study's baseline (OpenCV ``INTER_CUBIC``).
    """

    kernel: str
    name: str

    def __call__(self, lr: np.ndarray, out_shape: tuple[int, int]) -> np.ndarray:
        return resize(lr, out_shape, kernel=self.kernel, antialias=False, clip=True)


def _factory(kernel: str):
    def make(*, scale: float, arg: str | None = None, **params) -> Interpolation:
        if arg:
            raise ValueError(f"method {kernel!r} takes no ':' argument, got {arg!r}")
        if params:
            raise ValueError(f"method {kernel!r} takes no parameters, got {sorted(params)}")
        return Interpolation(kernel=kernel, name=kernel)

    return make


for _k in ("nearest", "bilinear", "bicubic"):
    METHODS.register(_k, _factory(_k))
