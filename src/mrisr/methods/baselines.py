"""Interpolation baselines: nearest, bilinear, bicubic and k-space zero-filling (any scale)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mrisr.data.degrade import kspace_upsample
from mrisr.data.resize import resize
from mrisr.methods.base import METHODS
from mrisr.methods.spec import MethodInfo


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


@dataclass(frozen=True)
class ZeroFill:
    """Zero-filled k-space upsampling (sinc interpolation), clipped to [0, 1].

    The scanner's own "interpolation": the LR image's spectrum padded with
    zeros. It is the exact inverse-consistent estimate for LR images made by
    truncating k-space (a lower acquisition matrix, :func:`mrisr.data.degrade.kspace_degrade`),
    and rings (Gibbs) at sharp edges.
    """

    name: str = "zerofill"

    def __call__(self, lr: np.ndarray, out_shape: tuple[int, int]) -> np.ndarray:
        return np.clip(kspace_upsample(lr, out_shape), 0.0, 1.0)


#: the baselines, none of which takes an argument or parameters
BASELINES = {k: (lambda k=k: Interpolation(kernel=k, name=k)) for k in ("nearest", "bilinear", "bicubic")}
BASELINES["zerofill"] = ZeroFill

_SUMMARY = {"nearest": "nearest-neighbour interpolation", "bilinear": "bilinear interpolation",
            "bicubic": "bicubic interpolation (Keys, a = -0.75; the study's baseline)",
            "zerofill": "zero-filled k-space upsampling (sinc interpolation)"}


def _factory(build):
    def make(*, scale: float, arg: str | None = None):
        return build()

    return make


for _name, _build in BASELINES.items():
    METHODS.register(_name, MethodInfo(_factory(_build), summary=_SUMMARY[_name], family="interpolation",
                                       params=frozenset()))
