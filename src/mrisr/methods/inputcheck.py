"""Does an LR input look like what a method was trained on? One warning line when it does not.

A method's record says which resampling family its training inputs came from
(:attr:`~mrisr.methods.spec.MethodInfo.trained_on`; the shipped LIIF weights and
the ELRTV presets: IXI's Gaussian pipeline). :func:`input_mismatch` reads the
family of an LR image (:func:`mrisr.data.inspect.estimate_degradation`) and,
where it is clearly another family on which a measured method does much better
(:data:`BETTER`, from the tables of docs/blind.md and docs/degradations.md),
returns one line naming that method. :func:`check_input` warns with it (:class:`InputMismatchWarning`)
or, with ``strict=True``, raises it as a ``ValueError`` (the CLI's ``--strict``:
exit 2, nothing written). The check never changes an output.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

__all__ = ["BETTER", "MARGIN", "NOISY", "Advice", "InputMismatchWarning", "check_input", "input_mismatch"]

#: scale -> how much closer (squared Mahalanobis units) the input must be to another family than to the
#: method's own before it warns; chosen on IXI train so that no IXI-pipeline image (noise up to 0.05) warns
MARGIN = {2: 9.0, 4: 6.0}
#: noise sigma (images in [0, 1]) from which a Gaussian-blurred input counts as noisy (measured: 0.02 costs
#: liif-x2 4.0 dB against bicubic; the stored IXI pairs read 0)
NOISY = 0.015


@dataclass(frozen=True)
class Advice:
    """The method to use instead on inputs of one family at one scale, and what was measured.

    Attributes
    ----------
    method : str
        The better method (a registered name).
    loss : dict
        Method family (``'liif'``, ``'elrtv'``) -> dB it lost to ``method`` on
        images degraded this way; a family absent from it gets no warning.
    source : str
        Where that was measured.
    """

    method: str
    loss: dict
    source: str = "docs/blind.md"


#: (family, scale) -> Advice: docs/blind.md's ``mrisr families`` table (16 val and held-out images, 8-bit LR;
#: ``noisy``: its Gaussian + Rician 0.02 row), and docs/degradations.md's val table (6 images) for ``area``
BETTER: dict[tuple[str, int], Advice] = {
    ("kspace", 2): Advice("liif-blind", {"liif": 15.0, "elrtv": 15.7}),
    ("kspace", 4): Advice("liif-blind", {"liif": 8.1, "elrtv": 7.1}),
    ("bicubic", 2): Advice("liif-blind", {"liif": 10.8, "elrtv": 11.8}),
    ("area", 2): Advice("bicubic", {"liif": 9.0}, "docs/degradations.md"),
    ("noisy", 2): Advice("liif-blind", {"liif": 7.5, "elrtv": 5.7}),
}

_LOOKS = {"noisy": "noisy (sigma about {noise:.3f} of the range)", "kspace": "k-space truncated (hard cut-off at Nyquist)", "bicubic": "bicubic-resized (partial roll-off)",
          "area": "box-averaged (aliased, no roll-off)", "gaussian": "Gaussian-blurred (smooth roll-off)"}
_TRAINED = {"gaussian": "Gaussian-blurred", "bicubic": "bicubic-resized", "area": "box-averaged",
            "kspace": "k-space truncated", "slice-profile": "thick-slice (one axis averaged over a slice profile)"}


class InputMismatchWarning(UserWarning):
    """An input looks unlike the images the chosen method was trained on."""


def _estimate(lr: np.ndarray, scale: float) -> tuple[str | None, float, float]:
    """The family read from most slices, the median margin of that family over ``'gaussian'``, the median noise."""
    from mrisr.data.inspect import slice_estimates

    ests = [e for e in slice_estimates(lr, scale) if e.family != "unknown"]
    if not ests:
        return None, 0.0, 0.0
    fams = [e.family for e in ests]
    family = max(set(fams), key=fams.count)
    return (family, float(np.median([e.margin("gaussian") for e in ests])),
            float(np.median([e.noise for e in ests])))


def _reading(lr: np.ndarray, scale: float, trained_on: str) -> tuple[str | None, float]:
    """What the input looks like, as a key of :data:`BETTER` (``'noisy'`` for a noisy input of the method's own
    family), or None where it looks like the method's training inputs; and the noise level."""
    family, margin, noise = _estimate(lr, scale)
    step = 2 if scale < 2.83 else 4
    if family not in (None, trained_on) and margin >= MARGIN[step]:
        return family, noise
    if family == trained_on and noise >= NOISY:
        return "noisy", noise
    return None, noise


def input_mismatch(lr: np.ndarray, spec, *, scale: float, label: str = "input") -> str | None:
    """One line saying why ``spec`` is the wrong method for ``lr``, or None when nothing speaks against it.

    Parameters
    ----------
    lr : numpy.ndarray
        (H, W) image or (N, H, W) slices, in [0, 1].
    spec : str or MethodSpec
        The chosen method.
    scale : float
        The upscaling factor (the family means of the nearest of 2x/4x are used).
    label : str
        How the input is named in the line (a file name).

    Examples
    --------
    >>> import numpy as np
    >>> from mrisr.data import degrade
    >>> yy, xx = np.mgrid[:256, :256] / 256
    >>> hr = ((np.hypot(yy - .5, xx - .5) < .4) * (0.5 + 0.3 * np.sin(40 * xx * yy))).astype(float)
    >>> input_mismatch(degrade(hr, 2, kind="gaussian+quant:8,floor"), "liif-x2", scale=2) is None
    True
    """
    from mrisr.methods.base import METHODS
    from mrisr.methods.spec import parse_spec

    spec = parse_spec(spec)
    info = METHODS.get(spec.name)
    if info.trained_on is None:
        return None
    looks, noise = _reading(lr, scale, info.trained_on)
    advice = BETTER.get((looks, 2 if scale < 2.83 else 4))
    if advice is None or info.family not in advice.loss:
        return None
    trained = _TRAINED[info.trained_on] + (" noise-free" if looks == "noisy" else "")
    return (f"{label} looks {_LOOKS[looks].format(noise=noise)}; {spec.name} was fitted on {trained} images and "
            f"lost {advice.loss[info.family]:.1f} dB to {advice.method} on val images made so "
            f"({advice.source}): try --method {advice.method}")


def check_input(lr: np.ndarray, spec, *, scale: float, label: str = "input", strict: bool = False) -> str | None:
    """Warn (or, ``strict``, raise) when ``lr`` looks unlike the training inputs of ``spec``.

    Returns the line (None when there is none). Arguments as in :func:`input_mismatch`.

    Raises
    ------
    ValueError
        ``strict=True`` and the input looks made another way (the line, with
        ``--strict`` named, so that a pipeline stops).
    """
    line = input_mismatch(lr, spec, scale=scale, label=label)
    if line is not None:
        if strict:
            raise ValueError(f"{line} (--strict)")
        warnings.warn(line, InputMismatchWarning, stacklevel=2)
    return line


class CheckedMethod:
    """A method that checks its first decisive input (:func:`check_input`) and otherwise just runs it."""

    def __init__(self, method, spec, *, scale: float, strict: bool) -> None:
        self.method, self.spec, self.scale, self.strict = method, spec, scale, strict
        self.name = getattr(method, "name", str(spec))
        self.checked = False

    def __call__(self, lr: np.ndarray, out_shape: tuple[int, int]) -> np.ndarray:
        if not self.checked:
            self.checked = _estimate(lr, self.scale)[0] is not None  # an empty first batch: check the next
            if self.checked:
                check_input(lr, self.spec, scale=self.scale, strict=self.strict)
        return self.method(lr, out_shape)

    def __getattr__(self, name: str):
        if name == "method":
            raise AttributeError(name)
        return getattr(self.method, name)
