"""Random acquisitions: the degradation distribution a blind model is trained on.

A :class:`BlindPrior` draws, for one training image, a scale, a *contrast* (same-grid
steps applied to the HR image itself, so the target and its LR image share them: a T2
slice standing in for T1, PD or FLAIR) and an *acquisition* (a full
:mod:`mrisr.data.degrade` spec from that HR image to the LR grid). Every draw is a
spec string read by the one degradation parser, so a draw can be logged, replayed
with ``mrisr evaluate --degrade`` and documented in a model card.

A k-space truncation samples the image on the DFT grid (LR pixel ``i`` at HR pixel ``i s``),
every resize at the centre of its footprint (``i s + (s - 1) / 2``). A blind model is trained on
the second convention only: k-space draws are brought to it by
:func:`mrisr.data.resample.kspace_to_centres` (a band-limited shift), which the model applies
again at inference to an input it takes for a k-space truncation.

The distribution of ``blind-v1`` (probabilities per training image):

=================  ==========================================================================
step               draw
=================  ==========================================================================
scale              2 (35 %), 4 (35 %), else uniform on the 1/8 grid of [1.5, 4]
IXI pipeline       15 %: exactly ``gaussian+quant:8,floor`` (the study's LR images), no more
contrast           ``remap:monotone`` 20 %, ``remap:nonmonotone`` 15 %; then ``gamma``
                   (log-uniform 0.7-1.4) 25 %; then ``bias`` (strength 0.05-0.3) 25 %
resampling         ``kspace`` 35 % (window none/hann/hamming/tukey, partial Fourier 0.6-0.9 in
                   a quarter, either axis); ``gaussian`` 30 % (sigma 0.35-0.85 x scale, a quarter
                   anisotropic); ``bicubic`` 15 %; ``lanczos`` 10 %; ``area`` 10 %
noise              none 35 %, ``noise`` 20 %, ``rician`` 45 %; sigma log-uniform 0.003-0.04
storage            ``quant:8`` 55 %, ``quant:8,floor`` 20 %, ``quant:12`` 10 %, none 15 %
=================  ==========================================================================

``blind-v2`` (the last stage of the shipped ``liif-blind``) is ``blind-v1`` with, in a quarter of the
contrast changes, a ``smooth`` step first (Gaussian, sigma log-uniform 0.3-1.2 HR px): the object itself
smoother than an IXI slice (a template, a denoised or k-space-filtered scan), so that a blurry input is not
always taken for a sharp object blurred by its acquisition.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mrisr.data.degrade import parse_degradation
from mrisr.registry import Registry


@dataclass(frozen=True)
class Draw:
    """One drawn degradation: ``contrast`` (same-grid spec, may be ``""``) then ``acquisition``."""

    contrast: str
    acquisition: str

    @property
    def kspace(self) -> bool:
        """Whether the acquisition is a k-space truncation (LR samples on the DFT grid, not at footprint centres)."""
        return parse_degradation(self.acquisition).resampling.name == "kspace"


def _pick(rng: np.random.Generator, options: dict[str, float]) -> str:
    names = list(options)
    p = np.array([options[n] for n in names], dtype=float)
    return names[int(rng.choice(len(names), p=p / p.sum()))]


def _log_uniform(rng: np.random.Generator, lo: float, hi: float) -> float:
    return float(np.exp(rng.uniform(np.log(lo), np.log(hi))))


@dataclass(frozen=True)
class BlindPrior:
    """A distribution over scales and degradations (see the module docstring for ``blind-v1``).

    Parameters
    ----------
    exact_scales : tuple of float
        Scales drawn with probability ``p_exact`` (split evenly).
    p_exact : float
        Probability of an exact scale; otherwise uniform on the ``1 / scale_grid`` grid of ``scale_range``.
    scale_range : tuple of float
        ``(lo, hi)`` of the other scales.
    scale_grid : int
        Other scales are multiples of ``1 / scale_grid`` (so ``8 * scale`` LR pixels are whole HR pixels).
    p_study : float
        Probability of exactly ``study_spec`` with no contrast change.
    study_spec : str
        The pipeline of the study's stored LR images.
    noise_range : tuple of float
        ``(lo, hi)`` of the noise sigma (log-uniform).
    p_smooth : float
        Probability that a contrast change starts by smoothing the HR image itself (``smooth``, the target
        too): an object smoother than IXI's anatomy (a template, a denoised or filtered scan), so that a
        blurry input is not always read as a sharp image blurred by its acquisition. 0 draws nothing.
    smooth_range : tuple of float
        ``(lo, hi)`` of that Gaussian's sigma in HR pixels (log-uniform).
    """

    exact_scales: tuple[float, ...] = (2.0, 4.0)
    p_exact: float = 0.7
    scale_range: tuple[float, float] = (1.5, 4.0)
    scale_grid: int = 8
    p_study: float = 0.15
    study_spec: str = "gaussian+quant:8,floor"
    noise_range: tuple[float, float] = (0.003, 0.04)
    p_smooth: float = 0.0
    smooth_range: tuple[float, float] = (0.3, 1.2)

    def __post_init__(self) -> None:
        (lo, hi), (smooth_lo, smooth_hi) = self.scale_range, self.smooth_range
        shares = (self.p_exact, self.p_study, self.p_smooth)
        if not 1.0 < lo <= hi or not 0 < smooth_lo <= smooth_hi or not all(0 <= p <= 1 for p in shares):
            raise ValueError(f"bad blind prior {self}")

    def draw_scale(self, rng: np.random.Generator) -> float:
        """A scale: an exact one with probability ``p_exact``, else a multiple of ``1 / scale_grid``."""
        if self.exact_scales and rng.random() < self.p_exact:
            return float(self.exact_scales[int(rng.integers(len(self.exact_scales)))])
        lo, hi = (round(v * self.scale_grid) for v in self.scale_range)
        return int(rng.integers(lo, hi + 1)) / self.scale_grid

    def draw(self, rng: np.random.Generator, scale: float) -> Draw:
        """One degradation for an image at ``scale`` (which sets the Gaussian widths)."""
        if rng.random() < self.p_study:
            return Draw("", self.study_spec)
        return Draw(self._contrast(rng), "+".join(
            s for s in (self._resampling(rng, scale), self._noise(rng), self._storage(rng)) if s))

    def _contrast(self, rng: np.random.Generator) -> str:
        steps = []
        if self.p_smooth and rng.random() < self.p_smooth:  # no draw at 0: blind-v1's draws stay as they were
            steps.append(f"smooth:{_log_uniform(rng, *self.smooth_range):.3f}")
        steps += [{"none": "", "mono": "remap:monotone", "free": "remap:nonmonotone"}[
            _pick(rng, {"none": 0.65, "mono": 0.20, "free": 0.15})]]
        if rng.random() < 0.25:
            steps.append(f"gamma:{_log_uniform(rng, 0.7, 1.4):.3f}")
        if rng.random() < 0.25:
            steps.append(f"bias:{rng.uniform(0.05, 0.3):.3f}")
        return "+".join(s for s in steps if s)

    def _resampling(self, rng: np.random.Generator, scale: float) -> str:
        kind = _pick(rng, {"kspace": 0.35, "gaussian": 0.30, "bicubic": 0.15, "lanczos": 0.10, "area": 0.10})
        if kind == "gaussian":
            s1 = rng.uniform(0.35, 0.85) * scale
            if rng.random() < 0.25:
                return f"gaussian:{s1:.3f}/{rng.uniform(0.35, 0.85) * scale:.3f}"
            return f"gaussian:{s1:.3f}"
        if kind == "kspace":
            opts = [f"window={['none', 'hann', 'hamming', 'tukey'][int(rng.integers(4))]}"]
            if rng.random() < 0.25:
                opts += [f"pf={rng.uniform(0.6, 0.9):.3f}", f"pf_axis={int(rng.integers(2))}"]
            return "kspace:" + ",".join(opts)
        return kind

    def _noise(self, rng: np.random.Generator) -> str:
        kind = _pick(rng, {"none": 0.35, "noise": 0.20, "rician": 0.45})
        return "" if kind == "none" else f"{kind}:{_log_uniform(rng, *self.noise_range):.4f}"

    def _storage(self, rng: np.random.Generator) -> str:
        return {"8": "quant:8", "8f": "quant:8,floor", "12": "quant:12", "none": ""}[
            _pick(rng, {"8": 0.55, "8f": 0.20, "12": 0.10, "none": 0.15})]


PRIORS: Registry[BlindPrior] = Registry("degradation prior")
PRIORS.register("blind-v1", BlindPrior())
PRIORS.register("blind-v2", BlindPrior(p_smooth=0.25))

__all__ = ["PRIORS", "BlindPrior", "Draw"]
