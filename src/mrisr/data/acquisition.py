"""Read from an LR image alone how it was acquired: a learned reader of its spectrum.

An LR image does not say how it was made, but its spectrum and noise keep traces:
a k-space truncation (a scanner's smaller matrix) keeps the spectrum flat up to
Nyquist and cuts it there, a separable resize (bicubic, Lanczos, area) rolls the
corners of the spectrum off before its edges, a Gaussian rolls everything off,
and the IXI study's own pipeline (Gaussian of sigma 1 HR pixel, area average,
8-bit floor, no noise) has a roll-off of its own. :func:`acquisition_features`
turns an image into 48 numbers:

* the 2-D power spectrum (mean removed), folded to ``(|fy|, |fx|)`` and made
  symmetric in the two axes, averaged over an 8 x 8 grid of cells on
  ``[0, 0.5]^2`` cycles/pixel: its 36 cells on and above the diagonal, in dB
  relative to the cell next to the origin;
* the mean row and column spectra in 8 bands from 0.2 cycles/pixel up to Nyquist,
  in dB relative to the 0.1-0.2 band;
* the noise sigma read from the background (:func:`mrisr.data.inspect.noise_level`,
  as ``log10``), the background fraction, and the fraction of pixels on an 8-bit grid;
* ``log2`` of the scale the image is to be upscaled by.

A small MLP (48 -> 64 -> 64 -> 4, tanh-GELU) maps them to the probabilities of
:data:`CLASSES`, with the prior odds of a windowed k-space cut a quarter of those in
training: a strong Gaussian blur and a Hann-windowed cut have nearly the same spectrum,
and a blurred image rendered as a k-space cut loses more than the reverse. It is shipped as ``mrisr/weights/acquisition_reader.safetensors``
(card ``acquisition_reader.md``): trained on IXI *train* images (the 10 that
``liif-blind`` holds out left out) under draws of the ``blind-v1`` prior plus the
study's pipeline and near misses of it, by ``study/scripts/train_acquisition_reader.py``.
It runs in NumPy in about a millisecond.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from mrisr.data.inspect import axial_power, band_mean, noise_level, signal_slices

__all__ = ["CLASSES", "CONSISTENCY_NOISE_FLOOR", "CONSISTENCY_NOISE_SLOPE", "FEATURES", "NOISY_INPUT",
           "NOISY_KSPACE_SHARE", "AcquisitionReader", "Reading", "acquisition_features", "default_reader", "read_acquisition"]

#: what the reader tells apart: any resize or blur (samples at footprint centres); a plain k-space
#: truncation and a windowed or partial-Fourier one (samples on the DFT grid); the study's pipeline
#: (``gaussian:1+quant:8,floor`` at 2x or 4x, what ``liif-x2`` / ``liif-x4`` were trained on)
CLASSES = ("resize", "kspace", "kspace-windowed", "study")
#: the number of features :func:`acquisition_features` returns
FEATURES = 48
#: the reader's file in mrisr/weights
READER_FILE = "acquisition_reader.safetensors"

_GRID = 8
_CELLS = [(i, j) for i in range(_GRID) for j in range(i, _GRID)]
_BANDS = (0.2, 0.3, 0.36, 0.40, 0.43, 0.46, 0.48, 0.495, 0.501)
_MIN_SIDE = 16


def _db(x: np.ndarray | float) -> np.ndarray:
    return 10 * np.log10(np.maximum(x, 1e-20))


def _grid_cells(power: np.ndarray) -> np.ndarray:
    """Mean power in each cell of the folded, axis-symmetric 8 x 8 frequency grid (36 values)."""
    h, w = power.shape
    iy = np.minimum((np.abs(np.fft.fftfreq(h)) * 2 * _GRID).astype(int), _GRID - 1)[:, None]
    ix = np.minimum((np.abs(np.fft.fftfreq(w)) * 2 * _GRID).astype(int), _GRID - 1)[None, :]
    cell = (np.minimum(iy, ix) * _GRID + np.maximum(iy, ix)).ravel()
    total = np.bincount(cell, power.ravel(), _GRID * _GRID)
    count = np.bincount(cell, None, _GRID * _GRID)
    mean = total / np.maximum(count, 1)
    return np.array([mean[i * _GRID + j] for i, j in _CELLS])


def _axial_bands(x: np.ndarray) -> np.ndarray:
    """Mean row and column power in 0.1-0.2 cycles/pixel, then in each band of ``_BANDS`` (on an image under
    about 64 pixels some narrow bands hold no frequency sample: :func:`~mrisr.data.inspect.band_mean`)."""
    prof = axial_power(x)
    edges = (0.1,) + _BANDS
    return np.array([band_mean(prof, lo, hi) for lo, hi in zip(edges[:-1], edges[1:], strict=True)])


def acquisition_features(image: np.ndarray, scale: float) -> np.ndarray:
    """The :data:`FEATURES` numbers the reader reads (see the module docstring).

    Raises
    ------
    ValueError
        Not a 2-D image of at least 16 x 16 pixels.
    """
    return _features_and_noise(image, scale)[0]


def _features_and_noise(image: np.ndarray, scale: float) -> tuple[np.ndarray, float]:
    """:func:`acquisition_features` and the noise sigma it read (:func:`read_acquisition` reports it too)."""
    x = np.asarray(image, dtype=np.float64)
    if x.ndim != 2 or min(x.shape) < _MIN_SIDE:
        raise ValueError(f"expected a 2-D image of at least {_MIN_SIDE}x{_MIN_SIDE} pixels, got shape {x.shape}")
    xc = x - x.mean()
    grid = _db(_grid_cells(np.abs(np.fft.fft2(xc)) ** 2))
    bands = _db(_axial_bands(xc))
    sigma, dark = noise_level(x)
    on_grid = float(np.mean(np.abs(x * 255 - np.round(x * 255)) < 1e-3))
    features = np.concatenate([grid - grid[1], bands[1:] - bands[0],
                               [np.log10(sigma + 1e-4), dark, on_grid, np.log2(scale)]])
    return features, sigma


#: the data-consistency weight of a plain k-space reading falls from 1 at this noise reading (what the
#: Gibbs ringing of a noise-free 8-bit IXI slice reads as)...
CONSISTENCY_NOISE_FLOOR = 0.004
#: ... by this much per unit of noise sigma (0 from 0.018 up); fitted on 20 IXI train images, k-space cuts
#: with Rician noise 0-0.02, by study/scripts/calibrate_kspace_consistency.py
CONSISTENCY_NOISE_SLOPE = 70.0
#: a noise reading above this marks a noisy input (a noise-free IXI k-space cut reads 0.004-0.009, Rician
#: noise 0.02 reads about 0.022)...
NOISY_INPUT = 0.012
#: ... which is rendered as a k-space cut from this k-space share up: noise up to Nyquist hides the cut's
#: edge. On the 16 images of docs/blind.md noisy resizes read at most 0.08 k-space and noisy 4x cuts at least
#: 0.15; every share from 0.1 to 0.15 decides them alike (study/scripts/blind_share_probe.py)
NOISY_KSPACE_SHARE = 0.12


@dataclass(frozen=True)
class Reading:
    """What :func:`read_acquisition` read: the probability of each of :data:`CLASSES`, and the noise sigma
    (:func:`mrisr.data.inspect.noise_level`, median over the slices read; 0 when none could be)."""

    probabilities: dict[str, float]
    noise: float = 0.0

    @property
    def kspace(self) -> float:
        """Probability of a k-space truncation, windowed or not (samples on the DFT grid)."""
        return self.probabilities["kspace"] + self.probabilities["kspace-windowed"]

    @property
    def study(self) -> float:
        """Probability of the study's own pipeline (only read at scales 2 and 4)."""
        return self.probabilities["study"]

    def rendering(self, study: bool = True) -> str:
        """How to render the input, once: ``'kspace'``, ``'resize'`` or ``'study'`` (the study's own
        pipeline; folded into ``'resize'`` when ``study`` is false, where no specialist exists).

        The likeliest of the three, except that a noisy input (noise above :data:`NOISY_INPUT`) is a k-space
        cut from a share of :data:`NOISY_KSPACE_SHARE` up: misreading a noisy cut as resized cost about 5 dB
        on IXI, the other way round about 3.
        """
        p = {"resize": self.probabilities["resize"], "kspace": self.kspace, "study": self.study}
        if not study:
            p["resize"] += p.pop("study")
        if self.noise > NOISY_INPUT and p["kspace"] >= NOISY_KSPACE_SHARE:
            return "kspace"
        return max(p, key=p.get)

    def consistency_weight(self) -> float:
        """How far to pull a k-space rendering towards the input's own spectrum
        (:func:`mrisr.data.resample.kspace_consistent`): the plain share of the k-space reading (a window or
        partial Fourier is another operator) times a weight that falls with the noise, 1 for a noise-free
        input and 0 from a noise sigma of about 0.018."""
        k = self.kspace
        plain = self.probabilities["kspace"] / k if k > 0 else 0.0
        level = 1.0 - CONSISTENCY_NOISE_SLOPE * (self.noise - CONSISTENCY_NOISE_FLOOR)
        return float(plain * np.clip(level, 0.0, 1.0))


def _gelu(x: np.ndarray) -> np.ndarray:
    return 0.5 * x * (1 + np.tanh(0.7978845608028654 * (x + 0.044715 * x ** 3)))


class AcquisitionReader:
    """The MLP over :func:`acquisition_features` (NumPy).

    Parameters
    ----------
    tensors : dict of numpy.ndarray
        ``mean``, ``std`` (feature standardisation), ``w0, b0, w1, b1, w2, b2``
        (layers as in ``torch.nn.Linear``: ``y = x @ w.T + b``) and, optionally,
        ``log_prior``: added to the output logits (a class's prior odds
        against those of the training draws; default 0).
    """

    def __init__(self, tensors: dict[str, np.ndarray]) -> None:
        t = {k: np.asarray(v, dtype=np.float64) for k, v in tensors.items()}
        if t["mean"].shape != (FEATURES,) or t["w2"].shape[0] != len(CLASSES):
            raise ValueError(f"not an acquisition reader: features {t['mean'].shape}, outputs {t['w2'].shape}")
        t.setdefault("log_prior", np.zeros(len(CLASSES)))
        self.tensors = t

    @classmethod
    def load(cls, path: str | Path) -> AcquisitionReader:
        from safetensors.numpy import load_file

        return cls(load_file(str(path)))

    def probabilities(self, features: np.ndarray) -> np.ndarray:
        """(N, FEATURES) -> (N, len(CLASSES)) class probabilities."""
        t = self.tensors
        h = (np.atleast_2d(features) - t["mean"]) / t["std"]
        h = _gelu(h @ t["w0"].T + t["b0"])
        h = _gelu(h @ t["w1"].T + t["b1"])
        z = h @ t["w2"].T + t["b2"] + t["log_prior"]
        z = np.exp(z - z.max(axis=1, keepdims=True))
        return z / z.sum(axis=1, keepdims=True)


@lru_cache(maxsize=1)
def default_reader() -> AcquisitionReader:
    """The shipped reader (its SHA-256 checked against ``index.json``)."""
    from mrisr.weights import reader_path

    return AcquisitionReader.load(reader_path(READER_FILE))


def read_acquisition(lr: np.ndarray, scale: float, reader: AcquisitionReader | None = None) -> Reading:
    """How an LR image (or the slices of a stack) was likely acquired, for upscaling by ``scale``.

    The probabilities are averaged over the stack's :func:`mrisr.data.inspect.signal_slices`. The
    study's pipeline is only read at scales 2 and 4 (elsewhere its probability goes to ``resize``).
    An image smaller than 16 x 16 pixels reads as ``resize`` with certainty.
    """
    slices = [s for s in signal_slices(lr) if min(s.shape) >= _MIN_SIDE]
    p, noise = np.zeros(len(CLASSES)), 0.0
    if not slices:
        p[0] = 1.0
    else:
        features, sigmas = zip(*(_features_and_noise(s, scale) for s in slices), strict=True)
        p = (reader or default_reader()).probabilities(np.stack(features)).mean(axis=0)
        noise = float(np.median(sigmas))
    if not any(abs(scale - s) < 1e-6 for s in (2.0, 4.0)):
        p[0], p[-1] = p[0] + p[-1], 0.0
    return Reading(dict(zip(CLASSES, (float(v) for v in p), strict=True)), noise)
