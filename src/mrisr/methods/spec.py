"""Method specs and method records: what a spec string says, and what a registered method is.

A method *spec* is ``name`` or ``name:arg`` (``'bicubic'``, ``'elrtv:preset.yaml'``,
``'liif:run/best.pt'``); :func:`parse_spec` is the one place that reads it. Each
registered name maps to a :class:`MethodInfo`, the record that says what the
method takes (an argument, which parameters, at which scales it is validated,
whether it is told a degradation operator, whether it only adds slices to a
volume) and how to build it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class MethodSpec:
    """A parsed method spec.

    Attributes
    ----------
    name : str
        The registered name, stripped of spaces.
    arg : str or None
        The text after the first ``':'`` (a checkpoint or preset path), or
        None when there is none (an empty argument counts as none).
    params : mapping
        Keyword options for the method's factory (``--params``).
    """

    name: str
    arg: str | None = None
    params: Mapping[str, Any] = field(default_factory=dict, hash=False)

    def __str__(self) -> str:
        return self.name if self.arg is None else f"{self.name}:{self.arg}"


def parse_spec(spec: str | MethodSpec, params: Mapping[str, Any] | None = None) -> MethodSpec:
    """Read ``'name'`` or ``'name:arg'`` into a :class:`MethodSpec`.

    Parameters
    ----------
    spec : str or MethodSpec
        The spec text; a :class:`MethodSpec` is returned as it is (with
        ``params`` replaced when given).
    params : mapping, optional
        Factory options to attach.

    Examples
    --------
    >>> parse_spec(" liif : run/best.pt")
    MethodSpec(name='liif', arg=' run/best.pt', params={})
    >>> str(parse_spec("bicubic"))
    'bicubic'
    """
    if isinstance(spec, MethodSpec):
        return spec if params is None else MethodSpec(spec.name, spec.arg, dict(params))
    if not isinstance(spec, str):
        raise TypeError(f"a method spec is a string such as 'bicubic' or 'liif:PATH', got {spec!r}")
    name, _, arg = spec.partition(":")
    return MethodSpec(name.strip(), arg or None, dict(params or {}))


@dataclass(frozen=True)
class MethodInfo:
    """The record of one registered method.

    Attributes
    ----------
    factory : callable or None
        ``factory(*, scale, arg, **params) -> method``; None for a method that
        is not built by name alone (``through_plane_only``: fitted to a volume).
    summary : str
        One line saying what the method is.
    family : str
        ``'interpolation'``, ``'elrtv'`` or ``'liif'`` (LIIF models and their
        ensembles, which take the LIIF rendering options), or a name of one's own.
    arg : str
        What the ``:arg`` of a spec is, as shown in errors (e.g.
        ``'a checkpoint: liif:PATH'``); empty: the method takes no argument.
    needs_arg : bool
        The method cannot be built without ``:arg``.
    params : frozenset of str or None
        The factory options the method takes (besides ``intensity`` and
        ``check``, which every method takes); None: the factory checks its own.
    scales : tuple of float or None
        Scales the method is validated for (None: any); for a shipped
        arbitrary-scale model, the two ends of the range it is validated on.
    intensity_reference : callable or None
        ``intensity_reference(scale) -> IntensityRange | None``: where the
        method's training inputs lay, for the intensity guard.
    takes_operator : bool
        The factory takes a degradation ``operator`` (told the slice profile
        by the through-plane path).
    through_plane_only : bool
        The method adds slices to a volume and has no in-plane use.
    members : tuple of str
        The methods an ensemble averages.
    trained_on : str or None
        The resampling family (a name in :mod:`mrisr.data.degrade`) of the LR
        images the method was trained or tuned on, e.g. ``'gaussian'`` for
        IXI's pipeline; None: not tied to one (interpolation, one's own
        weights). :mod:`mrisr.methods.inputcheck` warns when an input looks
        made otherwise.
    """

    factory: Callable[..., Any] | None
    summary: str = ""
    family: str = "other"
    arg: str = ""
    needs_arg: bool = False
    params: frozenset[str] | None = None
    scales: tuple[float, ...] | None = None
    intensity_reference: Callable[[float], Any] | None = None
    takes_operator: bool = False
    through_plane_only: bool = False
    members: tuple[str, ...] = ()
    trained_on: str | None = None

    def check(self, spec: MethodSpec) -> None:
        """Refuse a missing or unexpected ``:arg`` and unknown parameters, each in one line.

        Raises
        ------
        ValueError
            Naming the method and the offending argument or parameters.
        """
        if self.needs_arg and spec.arg is None:
            raise ValueError(f"method {spec.name!r} needs {self.arg}")
        if spec.arg is not None and not self.arg:
            hint = "; use liif:PATH for other weights" if self.family == "liif" else ""
            raise ValueError(f"method {spec.name!r} takes no ':' argument, got {spec.arg!r}{hint}")
        unknown = sorted(set(spec.params) - {"intensity", "check"} - (self.params or set()))
        if self.params is None or not unknown:
            return
        if not self.params:
            raise ValueError(f"method {spec.name!r} takes no parameters, got {unknown}")
        raise ValueError(f"method {spec.name!r} takes no parameter {', '.join(map(repr, unknown))} (check --params)")
