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
    truncating k-space (a lower acquisition matrix, :func:`mrisr.data.resample.kspace_image`),
    and rings (Gibbs) at sharp edges.
    """

    name: str = "zerofill"

    def __call__(self, lr: np.ndarray, out_shape: tuple[int, int]) -> np.ndarray:
        if int(out_shape[0]) * int(out_shape[1]) > _ZEROFILL_WHOLE_MAX:
            return _zerofill_blocks(np.asarray(lr, dtype=np.float64), (int(out_shape[0]), int(out_shape[1])))
        return np.clip(kspace_upsample(lr, out_shape), 0.0, 1.0)


#: outputs above this many pixels are zero-filled one axis at a time, in blocks (bounded memory)
_ZEROFILL_WHOLE_MAX = 4096 * 4096
_ZEROFILL_BLOCK = 256


def _zerofill_axis(x: np.ndarray, n_out: int, axis: int) -> np.ndarray:
    """Zero-filled k-space upsampling along one axis (complex): the 1-D factor of :func:`kspace_upsample`."""
    n = x.shape[axis]
    k = np.fft.fftshift(np.fft.fft(x, axis=axis), axes=axis)
    shape = list(k.shape)
    shape[axis] = n_out
    big = np.zeros(shape, dtype=complex)
    start = n_out // 2 - n // 2  # the zero frequency stays where ifftshift expects it
    index = [slice(None)] * k.ndim
    index[axis] = slice(start, start + n)
    big[tuple(index)] = k
    return np.fft.ifft(np.fft.ifftshift(big, axes=axis), axis=axis) * (n_out / n)


def _zerofill_blocks(lr: np.ndarray, out_shape: tuple[int, int]) -> np.ndarray:
    """Zero-filling as two 1-D passes (the 2-D transform is their product): columns in row blocks, then rows
    in column blocks, so that only an (h, W) complex intermediate and the float32 output scale with the image."""
    x = lr.reshape(-1, *lr.shape[-2:])
    oh, ow = out_shape
    out = np.empty((x.shape[0], oh, ow), dtype=np.float32)
    for i, img in enumerate(x):
        wide = np.concatenate([_zerofill_axis(img[r : r + _ZEROFILL_BLOCK], ow, 1)
                               for r in range(0, img.shape[0], _ZEROFILL_BLOCK)])
        for c in range(0, ow, _ZEROFILL_BLOCK):
            out[i, :, c : c + _ZEROFILL_BLOCK] = np.clip(_zerofill_axis(wide[:, c : c + _ZEROFILL_BLOCK], oh, 0).real, 0, 1)
    return out.reshape(*lr.shape[:-2], oh, ow)


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
