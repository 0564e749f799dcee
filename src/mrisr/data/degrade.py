"""Degradations in one place: HR image -> LR image, by name or by a spec string.

One registry, :data:`DEGRADATIONS`, holds every family under one name as a
:class:`Family` record: its frozen config dataclass, its image function and,
for the linear separable ones, its operator matrices (the ``D`` that ELRTV
inverts, built by :func:`mrisr.classical.operators.make_operator` from the same
record, so the image and the operator of a family cannot drift apart).

Resampling families (exactly one per pipeline; HR grid -> LR grid):

============== ====================================================== =========
name           what                                                   operator
============== ====================================================== =========
gaussian       Gaussian blur ``sigma`` (HR px; ``a/b`` = rows/cols;   yes
               default scale/2) then area average
area           box (area) average, keeps the mean exactly             yes
bicubic        anti-aliased bicubic resize (MATLAB ``imresize``)      yes
lanczos        anti-aliased Lanczos resize, ``lobes`` 2 or 3          yes
kspace         central k-space block (a smaller acquisition matrix);  no
               ``window`` none/hann/hamming/tukey (``alpha``),
               partial Fourier ``pf`` (0.5-1) along ``pf_axis``
slice_profile  thick slices, ``profile`` box/gaussian, ``thickness``  yes
kernel         explicit taps ``taps_h``/``taps_w`` (integer scales)   yes
============== ====================================================== =========

Same-grid families (any number, before or after the resampling step):
``none``; ``noise`` (additive Gaussian, ``sigma``); ``rician`` (``sigma``);
``quant`` (``bits`` 8/12/16, ``mode`` round/floor); ``gain`` (global scale
``factor``); ``gamma`` (``gamma``); ``smooth`` (Gaussian blur, ``sigma`` px);
``bias`` (smooth multiplicative field, ``strength``, ``order``); ``remap`` (random intensity remap, ``kind``
monotone/nonmonotone, ``knots``). Noise levels are in intensity units of
images in [0, 1].

Spec grammar (read by :func:`parse_degradation` only)::

    SPEC  := STEP ("+" STEP)*                 steps run left to right
    STEP  := NAME [":" ARG ("," ARG)*]
    ARG   := VALUE | KEY "=" VALUE            bare values fill the options in order
    VALUE := number | word | number "/" number ...   ("/": rows/cols, or a list of taps)

for example ``kspace:window=hann,pf=0.75+rician:0.02+quant:8``,
``gaussian:sigma=1.2/0.8+noise:0.01``, ``bicubic+remap:nonmonotone+quant:8,floor``.
The output is clipped to [0, 1]. Random steps draw from one numpy
``Generator`` (``seed``), so a spec and a seed fix the output.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from mrisr.data import corrupt as C
from mrisr.data import resample as R
from mrisr.data.resize import check_scale
from mrisr.registry import Registry

# Public names of the former single module, kept importable from here.
area_downscale = R.area_downscale
kspace_upsample = R.kspace_upsample


@dataclass(frozen=True)
class Family:
    """One degradation family.

    Attributes
    ----------
    config : type
        Frozen dataclass of its options (validated on construction).
    image : callable
        ``image(x, out_shape, cfg)`` for resampling families, ``image(x, cfg, rng)`` otherwise.
    resamples : bool
        Whether it maps the HR grid to the LR grid.
    matrices : callable or None
        ``matrices(hr_shape, lr_shape, cfg) -> (R_h, R_w, label, info)`` of a linear separable family.
    random : bool
        Whether it draws from the generator.
    """

    config: type
    image: Callable[..., np.ndarray]
    resamples: bool
    matrices: Callable[..., R.Matrices] | None = None
    random: bool = False


DEGRADATIONS: Registry[Family] = Registry("degradation")

for _name, _family in {
    "gaussian": Family(R.GaussianConfig, R.gaussian_image, True, R.gaussian_matrices),
    "area": Family(R.NoOptions, R.area_image, True, R.area_matrices),
    "bicubic": Family(R.NoOptions, R.bicubic_image, True, R.bicubic_matrices),
    "lanczos": Family(R.LanczosConfig, R.lanczos_image, True, R.lanczos_matrices),
    "kspace": Family(R.KspaceConfig, R.kspace_image, True),
    "slice_profile": Family(R.SliceConfig, R.slice_image, True, R.slice_matrices),
    "kernel": Family(R.KernelConfig, R.kernel_image, True, R.kernel_matrices),
    "none": Family(R.NoOptions, C.none_image, False),
    "noise": Family(C.NoiseConfig, C.gaussian_noise_image, False, random=True),
    "rician": Family(C.NoiseConfig, C.rician_image, False, random=True),
    "quant": Family(C.QuantConfig, C.quant_image, False),
    "gain": Family(C.GainConfig, C.gain_image, False),
    "gamma": Family(C.GammaConfig, C.gamma_image, False),
    "smooth": Family(C.SmoothConfig, C.smooth_image, False),
    "bias": Family(C.BiasConfig, C.bias_image, False, random=True),
    "remap": Family(C.RemapConfig, C.remap_image, False, random=True),
}.items():
    DEGRADATIONS.register(_name, _family)


def make_config(name: str, options: dict[str, Any] | None = None) -> Any:
    """The validated config of family ``name`` from keyword ``options``.

    Raises
    ------
    ValueError
        Unknown family or option (naming the closest valid spelling), or a bad value.
    """
    family = DEGRADATIONS.get(name)
    known: Registry[str] = Registry(f"{name} option")
    for f in dataclasses.fields(family.config):
        known.register(f.name, f.name)
    for key in options or {}:
        known.get(key)  # unknown option: ValueError naming the closest spelling
    try:
        return family.config(**(options or {}))
    except TypeError as exc:  # e.g. a list where a number belongs
        raise ValueError(f"bad {name} options {options!r}: {exc}") from None


@dataclass(frozen=True)
class Step:
    """One step of a pipeline: a family name and its config."""

    name: str
    config: Any

    def __str__(self) -> str:
        """``name:key=value,...``: the first option (unless None) and every other non-default one."""
        args = [f"{f.name}={_format(getattr(self.config, f.name))}"
                for i, f in enumerate(dataclasses.fields(self.config))
                if getattr(self.config, f.name) != f.default or (i == 0 and f.default is not None)]
        return self.name + (":" + ",".join(args) if args else "")

    @property
    def family(self) -> Family:
        return DEGRADATIONS.get(self.name)


def _format(value: Any) -> str:
    if isinstance(value, tuple):
        return "/".join(_format(v) for v in value)
    return f"{value:g}" if isinstance(value, float) else str(value)


@dataclass(frozen=True)
class Pipeline:
    """A validated sequence of degradation steps with exactly one resampling step.

    Made by :func:`parse_degradation`; ``str(pipeline)`` is its canonical spec
    (each step's first option and its non-default ones, by keyword), which parses
    back to an equal pipeline.
    """

    steps: tuple[Step, ...]

    def __post_init__(self) -> None:
        count = sum(s.family.resamples for s in self.steps)
        if count != 1:
            names = ", ".join(n for n in DEGRADATIONS.names() if DEGRADATIONS.get(n).resamples)
            raise ValueError(f"degradation {self} has {count} resampling steps, needs exactly one (one of: {names})")

    def __str__(self) -> str:
        return "+".join(str(s) for s in self.steps)

    @property
    def resampling(self) -> Step:
        """The pipeline's one resampling step (``kspace``, ``gaussian``, ...)."""
        return next(s for s in self.steps if s.family.resamples)

    @property
    def random(self) -> bool:
        """Whether the output depends on the seed."""
        return any(s.family.random for s in self.steps)

    def __call__(
        self,
        hr: np.ndarray,
        out_shape: tuple[int, int],
        *,
        seed: int | np.random.Generator = 0,
        clip: bool = True,
    ) -> np.ndarray:
        """Degrade ``hr`` (..., H, W) to ``out_shape``; float32, clipped to [0, 1] unless ``clip=False``.

        ``seed`` is an integer or a numpy ``Generator`` (drawn from in step order).
        """
        rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        x = np.asarray(hr, dtype=np.float64)
        for step in self.steps:
            if step.family.resamples:
                x = step.family.image(x, tuple(int(v) for v in out_shape), step.config)
            else:
                x = step.family.image(np.asarray(x, dtype=np.float64), step.config, rng)
        return (np.clip(x, 0.0, 1.0) if clip else np.asarray(x)).astype(np.float32)


_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def _value(text: str) -> Any:
    """A spec value: ``a/b/...`` -> tuple, integer, float, true/false, else the word."""
    if "/" in text:
        return tuple(_value(t) for t in text.split("/"))
    if re.fullmatch(r"[+-]?\d+", text):
        return int(text)
    if _NUMBER.fullmatch(text):
        return float(text)
    return {"true": True, "false": False}.get(text.lower(), text)


def _parse_step(text: str) -> Step:
    name, _, rest = (t.strip() for t in text.partition(":"))
    family = DEGRADATIONS.get(name)
    order = [f.name for f in dataclasses.fields(family.config)]
    options: dict[str, Any] = {}
    args = [a.strip() for a in rest.split(",")] if rest else []
    for i, arg in enumerate(args):
        key, eq, val = (t.strip() for t in arg.partition("="))
        if not eq:
            if i >= len(order) or any("=" in a for a in args[:i]):
                raise ValueError(f"value {arg!r} needs a KEY= (options: {', '.join(order) or 'none'})")
            key, val = order[i], arg
        if not val:
            raise ValueError(f"option {key!r} has no value")
        if key in options:
            raise ValueError(f"option {key!r} given twice")
        options[key] = _value(val)
    return Step(name, make_config(name, options))


def parse_degradation(spec: str | Pipeline) -> Pipeline:
    """Read a degradation spec string (grammar in the module docstring) into a :class:`Pipeline`.

    Raises
    ------
    ValueError
        One line naming the bad step and the problem, with the closest valid
        name for a misspelt family or option.

    Examples
    --------
    >>> str(parse_degradation("kspace:window=hann,pf=0.75+rician:0.02+quant:8"))
    'kspace:window=hann,pf=0.75+rician:sigma=0.02+quant:bits=8'
    """
    if isinstance(spec, Pipeline):
        return spec
    return Pipeline(_parse_steps(spec))


def _parse_steps(spec: str) -> tuple[Step, ...]:
    if not isinstance(spec, str) or not spec.strip():
        raise ValueError(f"degradation spec must be a non-empty string, got {spec!r}")
    steps = []
    for part in spec.split("+"):
        if not part.strip():
            raise ValueError(f"degradation spec {spec!r} has an empty step")
        try:
            steps.append(_parse_step(part.strip()))
        except ValueError as exc:
            raise ValueError(f"degradation step {part.strip()!r}: {exc}") from None
    return tuple(steps)


def parse_same_grid(spec: str) -> tuple[Step, ...]:
    """Read a spec of same-grid steps only (no resampling step), e.g. a contrast change.

    ``""`` gives no steps. Used where intensities change on the HR grid itself, so that the
    HR target and the LR image it is degraded to share them (``remap:nonmonotone+gamma:0.8``).

    Raises
    ------
    ValueError
        A bad step (as :func:`parse_degradation`), or a resampling step.
    """
    if isinstance(spec, str) and not spec.strip():
        return ()
    steps = _parse_steps(spec)
    resampling = [s.name for s in steps if s.family.resamples]
    if resampling:
        raise ValueError(f"same-grid spec {spec!r} has resampling step(s) {resampling}")
    return steps


def same_grid_text(spec: str) -> str:
    """The canonical text of a same-grid spec (:func:`parse_same_grid`; ``''`` for none), as recorded."""
    return "+".join(str(step) for step in parse_same_grid(spec))


def apply_same_grid(x: np.ndarray, steps: tuple[Step, ...], rng: np.random.Generator) -> np.ndarray:
    """Apply same-grid ``steps`` (from :func:`parse_same_grid`) to ``x`` in order; float64, not clipped."""
    x = np.asarray(x, dtype=np.float64)
    for step in steps:
        x = step.family.image(x, step.config, rng)
    return x


def lr_shape(shape: tuple[int, ...], scale: float) -> tuple[int, int]:
    """``round(H / scale) x round(W / scale)`` (at least 1) of an HR image of ``shape`` (..., H, W)."""
    h, w = shape[-2:]
    return max(1, int(round(h / scale))), max(1, int(round(w / scale)))


def degrade(
    hr: np.ndarray,
    scale: float,
    *,
    kind: str | Pipeline = "bicubic",
    quantise: bool = False,
    seed: int | np.random.Generator = 0,
    **opts: Any,
) -> np.ndarray:
    """Make an LR image ``round(H / scale) x round(W / scale)`` from ``hr``.

    Parameters
    ----------
    hr : numpy.ndarray
        (..., H, W) float in [0, 1].
    scale : float
        Downscaling factor (> 1, may be non-integer).
    kind : str or Pipeline
        A family name in :data:`DEGRADATIONS` or a spec string (module docstring).
    quantise : bool, default False
        Round to 8 bits afterwards, as when LR images are stored as 8-bit PNG.
    seed : int or numpy.random.Generator, default 0
        Randomness of the random steps.
    **opts
        Options of ``kind`` when it is one family name, e.g. ``sigma=1.0``.

    Returns
    -------
    numpy.ndarray
        (..., h, w) float32 in [0, 1].
    """
    scale = check_scale(scale)
    if opts:
        if not isinstance(kind, str) or kind not in DEGRADATIONS:
            raise ValueError(f"options {sorted(opts)} need kind to be one family name, got {kind!r}")
        pipeline = Pipeline((Step(kind, make_config(kind, opts)),))
    else:
        pipeline = parse_degradation(kind)
    lr = pipeline(hr, lr_shape(np.shape(hr), scale), seed=seed)
    if quantise:
        lr = C.quant_image(lr, C.QuantConfig(8, "round"), None).astype(np.float32)  # type: ignore[arg-type]
    return lr


def operator_names() -> list[str]:
    """Families that also have operator matrices (usable as an ELRTV ``operator``)."""
    return [n for n in DEGRADATIONS.names() if DEGRADATIONS.get(n).matrices is not None]


__all__ = [
    "DEGRADATIONS",
    "Family",
    "Pipeline",
    "Step",
    "apply_same_grid",
    "area_downscale",
    "degrade",
    "kspace_upsample",
    "lr_shape",
    "make_config",
    "operator_names",
    "parse_degradation",
    "parse_same_grid",
    "same_grid_text",
]
