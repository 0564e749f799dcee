"""The ``elrtv`` method for ``mrisr evaluate`` and :func:`mrisr.methods.make_method`.

Parameters come from the shipped preset for the scale (``presets/elrtv_x<s>.yaml``,
tuned on train images by ``mrisr tune elrtv``), then from ``elrtv:PRESET.yaml``
if given, then from keyword ``params`` (e.g. ``mrisr evaluate --params YAML``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from mrisr.classical.elrtv import ELRTVConfig, elrtv
from mrisr.classical.operators import make_operator
from mrisr.classical.tiling import solve_tiled
from mrisr.methods.base import METHODS, as_batch
from mrisr.methods.spec import MethodInfo

logger = logging.getLogger(__name__)

PRESET_SCALES = (2, 4)


def read_preset(path: str | Path) -> dict[str, Any]:
    """The ``params`` mapping of a preset/tuning YAML (or its top level).

    Raises
    ------
    InputError
        Missing file, invalid YAML, or not a mapping.
    """
    from mrisr.config import load_params

    return load_params(path)


def preset_path(scale: int) -> Path:
    """Path of the shipped preset for an integer scale."""
    return Path(str(resources.files("mrisr.classical") / "presets" / f"elrtv_x{scale}.yaml"))


def slices_preset_path(scale: int) -> Path:
    """Path of the shipped through-plane preset (``slice_profile`` operator) for 2x or 4x."""
    return preset_path(scale).with_name(f"elrtv_slices_x{scale}.yaml")


def _preset_scale(scale: float) -> int | None:
    """The scale of the shipped in-plane preset made for ``scale`` (None if there is none)."""
    s = float(scale)
    return int(s) if s.is_integer() and int(s) in PRESET_SCALES else None


def shipped_preset(scale: float) -> dict[str, Any]:
    """Shipped parameters for ``scale``; other scales get the 2x preset with a Gaussian operator."""
    s, preset = float(scale), _preset_scale(scale)
    if preset:
        return read_preset(preset_path(preset))
    logger.warning("no ELRTV preset for scale %g: using the x2 regularisation (with a Gaussian operator unless one "
                   "is given)", s)
    params = read_preset(preset_path(2))
    params["operator"] = {"kind": "gaussian", "sigma": 0.5 * s, "bias": float(params.get("operator", {}).get("bias", 0.0))}
    params["steps"] = 1
    return params


@dataclass(frozen=True)
class ELRTVMethod:
    """Callable ELRTV with fixed parameters: ``method(lr, out_shape) -> sr``.

    Attributes
    ----------
    params : dict
        :class:`~mrisr.classical.elrtv.ELRTVConfig` options plus ``operator``.
    batch : int
        Images solved together (vectorised) per call of :func:`elrtv`.
    progress : bool or None
        Progress bar: ``None`` shows one for more than ``batch`` images.
    tile, overlap : int
        Outputs larger than ``tile`` HR pixels per side are solved in tiles of
        that size overlapping by ``overlap`` (:func:`mrisr.classical.tiling.solve_tiled`),
        which bounds memory and time per pixel; smaller outputs are solved whole.
    """

    params: dict[str, Any]
    batch: int = 8
    progress: bool | None = None
    tile: int = 1024
    overlap: int = 64
    name: str = "elrtv"
    info: dict[str, Any] = field(default_factory=dict)
    _operators: dict[tuple, Any] = field(default_factory=dict, repr=False, compare=False)

    def operator(self, hr_shape: tuple[int, int], lr_shape: tuple[int, int]):
        """The degradation operator for these shapes (built once, with its eigendecompositions cached)."""
        key = (tuple(hr_shape), tuple(lr_shape))
        if key not in self._operators:
            self._operators[key] = make_operator(self.params.get("operator", "gaussian"), *key)
        return self._operators[key]

    def __call__(self, lr: np.ndarray, out_shape: tuple[int, int]) -> np.ndarray:
        from tqdm.auto import tqdm

        x, single = as_batch(lr)
        opts = {k: v for k, v in self.params.items() if k != "operator"}

        def solve(y: np.ndarray, hr_shape: tuple[int, int]) -> np.ndarray:
            operator = self.operator(tuple(hr_shape), y.shape[-2:])
            return elrtv(y, out_shape=hr_shape, operator=operator, record_energy=False, **opts).image

        show = (len(x) > self.batch) if self.progress is None else self.progress
        out = []
        with tqdm(total=len(x), disable=not show, desc="elrtv", unit="img") as bar:
            for i in range(0, len(x), self.batch):
                out.append(solve_tiled(solve, x[i : i + self.batch], out_shape, tile=self.tile, overlap=self.overlap))
                bar.update(len(out[-1]))
        sr = np.concatenate(out)
        return sr[0] if single else sr


def make_elrtv(*, scale: float, arg: str | None = None, batch: int = 8, progress: bool | None = None,
               **params: Any) -> ELRTVMethod:
    """Factory registered as ``elrtv``: preset for ``scale``, then ``arg`` (a preset YAML), then ``params``."""
    merged = shipped_preset(scale)
    if arg:
        merged.update(read_preset(arg))
    merged.update(params)
    ELRTVConfig.from_dict({k: v for k, v in merged.items() if k != "operator"})  # validate now
    if int(batch) < 1:
        raise ValueError(f"batch must be >= 1, got {batch!r}")
    return ELRTVMethod(params=merged, batch=int(batch), progress=progress,
                       info={"preset": f"x{scale:g}", "source": arg or "shipped"})


def _elrtv_reference(scale: float):
    """The input range of the preset used at ``scale`` (tuned on IXI's stored training pairs of its scale)."""
    from mrisr.methods.intensity import shipped_reference

    return shipped_reference(_preset_scale(scale) or 2)


METHODS.register("elrtv", MethodInfo(
    make_elrtv, summary="low-rank + total-variation regularised inverse problem (ADMM), shipped presets",
    family="elrtv", arg="a preset YAML: elrtv:PRESET.yaml", intensity_reference=_elrtv_reference,
    takes_operator=True, trained_on="gaussian",
))  # params=None: ELRTVConfig checks the options (those of a preset YAML too)
