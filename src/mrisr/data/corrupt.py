"""Same-grid degradations: noise, quantisation, intensity and contrast changes.

Each family has a frozen, validated config dataclass and an image function
``fn(x, cfg, rng)`` on float images (..., H, W) in about [0, 1], drawing any
randomness from the numpy ``Generator`` ``rng``. They are registered in
:data:`mrisr.data.degrade.DEGRADATIONS` and composed there with a resampling
step into a pipeline.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mrisr.data.resample import NoOptions, check_choice, check_range

REMAPS = ("monotone", "nonmonotone")
QUANT_MODES = ("round", "floor")


def none_image(x: np.ndarray, cfg: NoOptions, rng: np.random.Generator) -> np.ndarray:
    """No change (an explicit "no noise" step)."""
    return x


@dataclass(frozen=True)
class NoiseConfig:
    """Noise of standard deviation ``sigma`` per channel, in intensity units (images in [0, 1])."""

    sigma: float = 0.01

    def __post_init__(self) -> None:
        object.__setattr__(self, "sigma", check_range("noise sigma", self.sigma, high=1.0, zero=True))


def gaussian_noise_image(x: np.ndarray, cfg: NoiseConfig, rng: np.random.Generator) -> np.ndarray:
    """Additive white Gaussian noise: ``x + n``, ``n ~ N(0, sigma^2)``."""
    return x + rng.normal(0.0, cfg.sigma, size=np.shape(x))


def rician_image(x: np.ndarray, cfg: NoiseConfig, rng: np.random.Generator) -> np.ndarray:
    """Rician noise, the magnitude of complex Gaussian noise: ``|x + n_re + i n_im|``.

    In the background (``x = 0``) this is Rayleigh with mean ``sigma * sqrt(pi / 2)``.
    """
    re = x + rng.normal(0.0, cfg.sigma, size=np.shape(x))
    im = rng.normal(0.0, cfg.sigma, size=np.shape(x))
    return np.hypot(re, im)


@dataclass(frozen=True)
class QuantConfig:
    """Store with ``bits`` bits (8, 12 or 16) after clipping to [0, 1], rounding or flooring.

    ``levels = 2**bits - 1``: ``round(x * levels) / levels`` or ``floor(...)``.
    """

    bits: int = 8
    mode: str = "round"

    def __post_init__(self) -> None:
        if self.bits not in (8, 12, 16):
            raise ValueError(f"quant bits must be 8, 12 or 16, got {self.bits!r}")
        object.__setattr__(self, "bits", int(self.bits))
        check_choice("quant mode", str(self.mode), QUANT_MODES)


def quant_image(x: np.ndarray, cfg: QuantConfig, rng: np.random.Generator) -> np.ndarray:
    """Quantise to ``2**bits`` levels in [0, 1]."""
    levels = float(2**cfg.bits - 1)
    op = np.round if cfg.mode == "round" else np.floor
    return op(np.clip(x, 0.0, 1.0) * levels) / levels


@dataclass(frozen=True)
class GainConfig:
    """Global intensity scale ``x * factor``."""

    factor: float = 1.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "factor", check_range("gain factor", self.factor))


def gain_image(x: np.ndarray, cfg: GainConfig, rng: np.random.Generator) -> np.ndarray:
    """Multiply by ``factor``."""
    return x * cfg.factor


@dataclass(frozen=True)
class GammaConfig:
    """Power law ``max(x, 0) ** gamma``."""

    gamma: float = 1.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "gamma", check_range("gamma", self.gamma))


def gamma_image(x: np.ndarray, cfg: GammaConfig, rng: np.random.Generator) -> np.ndarray:
    """Apply the power law."""
    return np.clip(x, 0.0, None) ** cfg.gamma


@dataclass(frozen=True)
class SmoothConfig:
    """Gaussian blur of ``sigma`` pixels on the same grid (an averaged or filtered image: a template, a denoised or
    k-space-filtered scan)."""

    sigma: float = 1.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "sigma", check_range("smooth sigma", self.sigma, high=20.0))


def smooth_image(x: np.ndarray, cfg: SmoothConfig, rng: np.random.Generator) -> np.ndarray:
    """Blur the last two axes (edges reflected)."""
    from scipy.ndimage import gaussian_filter

    sigma = (0,) * (np.ndim(x) - 2) + (cfg.sigma, cfg.sigma)
    return gaussian_filter(np.asarray(x, dtype=np.float64), sigma, mode="reflect")


@dataclass(frozen=True)
class BiasConfig:
    """Smooth multiplicative bias field ``exp(strength * f)``, ``f`` a random polynomial with ``max |f| = 1``.

    ``order`` is the polynomial's degree in the normalised coordinates (2 or 3 is a coil's
    slow shading); the field spans ``[exp(-strength), exp(strength)]`` at most.
    """

    strength: float = 0.2
    order: int = 3

    def __post_init__(self) -> None:
        object.__setattr__(self, "strength", check_range("bias strength", self.strength, high=2.0, zero=True))
        if isinstance(self.order, bool) or int(self.order) != self.order or not 1 <= self.order <= 6:
            raise ValueError(f"bias order must be an integer from 1 to 6, got {self.order!r}")
        object.__setattr__(self, "order", int(self.order))


def bias_field(shape: tuple[int, int], cfg: BiasConfig, rng: np.random.Generator) -> np.ndarray:
    """The (H, W) multiplicative field of :class:`BiasConfig`."""
    y, x = np.meshgrid(np.linspace(-1, 1, shape[0]), np.linspace(-1, 1, shape[1]), indexing="ij")
    f = np.zeros(shape)
    for i in range(cfg.order + 1):
        for j in range(cfg.order + 1 - i):
            if i + j:
                f += rng.normal() * y**i * x**j
    peak = np.abs(f).max()
    return np.exp(cfg.strength * (f / peak if peak > 0 else f))


def bias_image(x: np.ndarray, cfg: BiasConfig, rng: np.random.Generator) -> np.ndarray:
    """Multiply by a smooth random field."""
    return x * bias_field(np.shape(x)[-2:], cfg, rng)


@dataclass(frozen=True)
class RemapConfig:
    """Random piecewise-linear intensity remap ``[0, 1] -> [0, 1]`` with ``knots`` segments, ``0 -> 0``.

    ``monotone``: increasing (order of intensities kept, range [0, 1] kept; another
    scanner's windowing). ``nonmonotone``: knot values drawn freely (at least one
    decrease), so tissues swap brightness as between T2, T1, PD and FLAIR.
    """

    kind: str = "monotone"
    knots: int = 6

    def __post_init__(self) -> None:
        check_choice("remap kind", str(self.kind), REMAPS)
        if isinstance(self.knots, bool) or int(self.knots) != self.knots or not 2 <= self.knots <= 64:
            raise ValueError(f"remap knots must be an integer from 2 to 64, got {self.knots!r}")
        object.__setattr__(self, "knots", int(self.knots))


def remap_curve(cfg: RemapConfig, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``(xp, fp)``: the knots of one random remap (``np.interp(x, xp, fp)``)."""
    xp = np.linspace(0.0, 1.0, cfg.knots + 1)
    if cfg.kind == "monotone":
        fp = np.concatenate([[0.0], np.cumsum(rng.dirichlet(np.ones(cfg.knots)))])
        fp[-1] = 1.0
        return xp, fp
    fp = np.concatenate([[0.0], rng.uniform(0.05, 1.0, cfg.knots)])
    if np.all(np.diff(fp) > 0):  # drawn increasing by chance: make the last segment fall
        fp[-2:] = fp[-2:][::-1].copy()
    return xp, fp


def remap_image(x: np.ndarray, cfg: RemapConfig, rng: np.random.Generator) -> np.ndarray:
    """Apply one random remap to the intensities (clipped to [0, 1] first)."""
    xp, fp = remap_curve(cfg, rng)
    return np.interp(np.clip(x, 0.0, 1.0), xp, fp)
