"""LIIF checkpoints as SR methods: ``liif:PATH``, the shipped ``liif-x*`` weights and their output ensembles."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from mrisr.data.dihedral import ALL as DIHEDRAL
from mrisr.errors import InputError
from mrisr.methods.base import METHODS, as_batch
from mrisr.methods.spec import MethodInfo

logger = logging.getLogger(__name__)

#: the smallest query chunk an out-of-memory retry goes down to
MIN_CHUNK = 1024


class LIIFMethod:
    """Wrap a LIIF-family model as a method ``(lr, out_shape) -> sr``.

    Parameters
    ----------
    path : str or Path
        ``.safetensors`` weights or a ``.pt`` training checkpoint.
    device : str or torch.device, default 'cpu'
        Torch device for inference, as :func:`mrisr.devices.parse_device` reads it
        (``'auto'``, ``'cpu'``, ``'cuda'``, ``'cuda:N'``, ``'mps'``).
    batch_size : int, default 4
        Images encoded at once.
    chunk : int, optional
        Queries decoded at once (bounds memory; default the model's). On a GPU
        out-of-memory error the batch, then the chunk, is halved and the images
        rendered again (logged as a warning), down to one image and
        :data:`MIN_CHUNK` queries.
    name : str, optional
        Label (default ``liif:<file name>``).
    self_ensemble : bool, default False
        Average the outputs for the 8 flips/transposes of the input, each
        mapped back (geometric self-ensemble; 8x the time).
    acquisition : {'resize', 'kspace', 'auto'}, default 'resize'
        Where the LR samples sit. ``'resize'``: at the centre of each one's
        footprint, as an image resize or a Gaussian blur + average puts them
        (the convention the models are trained in). ``'kspace'``: on the DFT
        grid of a k-space truncation (a scanner's smaller acquisition matrix;
        LR pixel ``i`` at HR pixel ``i * s``): the input is shifted to the
        first convention first (:func:`mrisr.data.resample.kspace_to_centres`)
        and the output then pulled towards the input's own spectrum, as far
        as the input reads as a plain, noise-free cut
        (:func:`mrisr.data.resample.kspace_consistent`).
        ``'auto'``: read the input (:func:`mrisr.data.acquisition.read_acquisition`)
        and render it once, as :meth:`~mrisr.data.acquisition.Reading.rendering`
        says: as resized, as a k-space cut, or, where ``specialists`` has a
        method for the scale, by that method as the study's own pipeline.
        (Blending the readings costs a rendering each; on the 16 images of
        docs/blind.md it gained at most 0.46 dB, at 4x:
        ``study/models/acquisition_reader.shares.md``.)
    specialists : mapping, optional
        Scale -> a function of no arguments that builds the method for
        inputs read as the IXI study's pipeline at that scale (``liif-x2``,
        ``liif-x4`` for ``liif-blind``); built on first use.
    precision : {'float32', 'bfloat16'}, default 'float32'
        Arithmetic of the rendering: ``'bfloat16'`` runs it under PyTorch's
        bfloat16 autocast. On a 2-core CPU with AVX512-BF16, IXI val
        (``mrisr evaluate --params`` with ``precision: bfloat16``): ``liif-x2``
        1.9x faster at -0.035 dB, ``liif-x4`` 2.1x at -0.006 dB; so float32
        stays the default for slices. The through-plane path uses bfloat16
        where the CPU has such instructions
        (:class:`mrisr.volume.selfsup.SelfSupConfig`).
    """

    def __init__(self, path: str | Path, *, device: str = "cpu", batch_size: int = 4,
                 chunk: int | None = None, name: str | None = None, info: dict | None = None,
                 self_ensemble: bool = False, acquisition: str = "resize",
                 specialists: Mapping[float, Callable[[], Any]] | None = None, precision: str = "float32") -> None:
        from mrisr.devices import parse_device
        from mrisr.models.checkpoint import load_model
        from mrisr.models.liif import prefer_layout

        if acquisition not in ACQUISITIONS:
            raise ValueError(f"acquisition must be one of {', '.join(ACQUISITIONS)}, got {acquisition!r}")
        if precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}, got {precision!r}")
        self.acquisition, self.precision = acquisition, precision
        self.device = parse_device(device)
        self.model, meta = load_model(path, device=self.device)
        prefer_layout(self.model, self.device)
        self.batch_size, self.chunk = int(batch_size), chunk
        self.self_ensemble = bool(self_ensemble)
        self.name = name or f"liif:{Path(path).name}"
        self.specialists = dict(specialists or {})
        self._built: dict[float, Any] = {}
        self.pinned = None  # a Reading that every call uses instead of reading its own input (pin_reading)
        self.info: dict[str, Any] = {**meta, **(info or {}), "self_ensemble": self.self_ensemble,
                                     "acquisition": acquisition, "precision": precision}

    def _render(self, t, shape: tuple[int, int]):
        """(B, 1, h, w) -> (B, 1, H, W), averaged over the dihedral group when ``self_ensemble``."""
        if not self.self_ensemble:
            return self.model.upscale(t, shape, chunk=self.chunk)
        acc = None
        for d in DIHEDRAL:
            y = d.invert(self.model.upscale(d.apply(t), d.shape(shape), chunk=self.chunk))
            acc = y if acc is None else acc.add_(y)  # in place: one output copy less
        return acc / len(DIHEDRAL)

    def __call__(self, lr: np.ndarray, out_shape: tuple[int, int]) -> np.ndarray:
        if self.acquisition == "resize":
            return self._guarded(lr, out_shape)
        from mrisr.data.acquisition import read_acquisition

        scale = out_shape[0] / np.shape(lr)[-2]
        reading = self.pinned or read_acquisition(lr, scale)
        name = "kspace" if self.acquisition == "kspace" else self._choose(reading, scale)
        logger.debug("%s: rendered as %s", self.name, name)
        return self._render_as(name, lr, out_shape, reading)

    def pin_reading(self, lr: np.ndarray, out_shape: tuple[int, int]) -> None:
        """Read ``lr`` (e.g. a volume's fullest slices) once and use that reading for every later call, so
        that all the batches of one volume are rendered alike (``None`` unpins); a no-op for ``'resize'``."""
        from mrisr.data.acquisition import read_acquisition

        self.pinned = None
        if lr is not None and self.acquisition != "resize":
            self.pinned = read_acquisition(lr, out_shape[0] / np.shape(lr)[-2])
            logger.info("%s: input read as %s", self.name,
                        ", ".join(f"{k} {v:.2f}" for k, v in self.pinned.probabilities.items()))

    def rendering_for(self, lr: np.ndarray, out_shape: tuple[int, int]) -> str:
        """``acquisition='auto'``: how ``lr`` will be rendered (``'resize'``, ``'kspace'`` or ``'study'``)."""
        from mrisr.data.acquisition import read_acquisition

        scale = out_shape[0] / np.shape(lr)[-2]
        return self._choose(self.pinned or read_acquisition(lr, scale), scale)

    def _choose(self, reading, scale: float) -> str:
        return reading.rendering(study=self._specialist_scale(scale) is not None)

    def _specialist_scale(self, scale: float) -> float | None:
        return next((s for s in self.specialists if abs(s - scale) < 1e-6), None)

    def _render_as(self, name: str, lr: np.ndarray, out_shape: tuple[int, int], reading) -> np.ndarray:
        """Render ``lr`` as read: ``'resize'``; ``'kspace'`` (shifted to footprint centres, then pulled towards
        the input's spectrum by the reading's :meth:`~mrisr.data.acquisition.Reading.consistency_weight`);
        ``'study'`` (by the specialist of the scale)."""
        if name == "resize":
            return self._guarded(lr, out_shape)
        if name == "kspace":
            from mrisr.data.resample import kspace_consistent, kspace_to_centres

            sr = self._guarded(kspace_to_centres(lr, out_shape), out_shape)
            weight = reading.consistency_weight()
            return np.clip(kspace_consistent(sr, lr, weight), 0, 1) if weight > 0 else sr
        s = self._specialist_scale(out_shape[0] / np.shape(lr)[-2])
        if s not in self._built:
            self._built[s] = self.specialists[s]()
        return self._built[s](lr, out_shape)

    def _guarded(self, lr: np.ndarray, out_shape: tuple[int, int]) -> np.ndarray:
        """Render, shrinking the batch and chunk after a GPU out-of-memory error."""
        from mrisr.devices import is_out_of_memory

        while True:
            try:
                return self._run(lr, out_shape)
            except RuntimeError as exc:
                if not is_out_of_memory(exc):
                    raise
                self._shrink()

    def _shrink(self) -> None:
        """After an out-of-memory error: halve the batch, else the query chunk, else stop with what to set."""
        from mrisr.devices import free_cached_memory

        free_cached_memory()
        chunk = self.chunk or getattr(self.model, "query_chunk", 8192)
        if self.batch_size > 1:
            self.batch_size //= 2
        elif chunk > MIN_CHUNK:
            self.chunk = max(MIN_CHUNK, chunk // 2)
        else:
            raise InputError(
                f"{self.device} is out of memory even with one image at a time and --chunk {chunk}: "
                "free the GPU, or use --device cpu"
            )
        logger.warning("%s out of memory; retrying with batch size %d and --chunk %d",
                       self.device, self.batch_size, self.chunk or chunk)

    def _run(self, lr: np.ndarray, out_shape: tuple[int, int]) -> np.ndarray:
        import torch

        x, single = as_batch(lr)
        out = np.empty((x.shape[0], int(out_shape[0]), int(out_shape[1])), dtype=np.float32)
        with torch.inference_mode(), torch.autocast(self.device.type, dtype=torch.bfloat16,
                                                    enabled=self.precision == "bfloat16"):
            for i in range(0, len(x), self.batch_size):
                t = torch.from_numpy(x[i : i + self.batch_size, None]).to(self.device)
                sr = self._render(t, (int(out_shape[0]), int(out_shape[1])))
                out[i : i + len(t)] = sr.clamp_(0, 1)[:, 0].float().cpu().numpy()  # in place: one output copy less
        return out[0] if single else out


#: the options of :class:`LIIFMethod` a method spec may set (``--params``, the command line's ``--device`` ...)
LIIF_OPTIONS = frozenset({"device", "batch_size", "chunk", "self_ensemble", "acquisition", "precision"})
#: where an LR image's samples may sit (:class:`LIIFMethod`'s ``acquisition``)
ACQUISITIONS = ("resize", "kspace", "auto")
#: the arithmetic of a rendering (:class:`LIIFMethod`'s ``precision``)
PRECISIONS = ("float32", "bfloat16")
#: the ``acquisition`` of a shipped blind model (``trained_on`` None in the index) unless one is given
BLIND_ACQUISITION = "auto"
#: the self-supervised through-plane LIIF (:mod:`mrisr.volume.selfsup`): fitted to a volume, so not built by name
SELFSUP = "liif-selfsup"


def _liif(*, scale: float, arg: str | None = None, **params: Any) -> LIIFMethod:
    return LIIFMethod(arg, **params)


def _shipped(method: str):
    def make(*, scale: float, arg: str | None = None, **params: Any) -> LIIFMethod:
        from mrisr.weights import entry_for, verified_path

        entry = entry_for(method)
        any_scale = params.pop("any_scale", False)
        if not entry.validated_for(method, scale) and not any_scale:
            raise ValueError(
                f"{method} is validated for {entry.validated_text(method)}, not {scale:g} "
                f"(LIIF renders any scale: pass liif:PATH with its {entry.file} to force)"
            )
        card = {"card": entry.card, "sha256": entry.sha256}
        if entry.trained_on is None:  # a blind model reads the acquisition from the input by default
            params.setdefault("acquisition", BLIND_ACQUISITION)
            shared = {k: v for k, v in params.items() if k in LIIF_OPTIONS - {"acquisition"}}
            params["specialists"] = {s: partial(_shipped(m), scale=s, **shared) for s, m in entry.specialists.items()}
            card["specialists"] = {f"{s:g}": {"method": m, "sha256": entry_for(m).sha256}
                                   for s, m in entry.specialists.items()}
        return LIIFMethod(verified_path(entry), name=method, info=card, **params)

    return make


def _reference_of(method: str, scale: float):
    """Where the inputs of shipped method ``method`` lay in training, at the scale its name is validated for.

    The weights' own recorded range (``intensity`` in ``index.json``), else IXI's stored LR images'. ``scale``
    (the scale of use) only counts for a method that is not in the index.
    """
    from mrisr.methods.intensity import nearest_range, shipped_reference
    from mrisr.weights import entry_for

    try:
        entry = entry_for(method)
    except ValueError:  # not a weight file of the index (e.g. a method registered by hand)
        return shipped_reference(scale)
    trained = entry.scales[entry.methods.index(method)]
    return nearest_range(entry.intensity, trained) if entry.intensity else shipped_reference(trained)


class EnsembleMethod:
    """The pixel-wise mean of several methods' outputs (an output ensemble).

    Parameters
    ----------
    members : sequence of methods
        Each maps ``(lr, out_shape) -> sr``; independently trained models
        make different errors, so their mean has a lower error than each.
    name : str
        Label.
    """

    def __init__(self, members, *, name: str) -> None:
        self.members = list(members)
        if not self.members:
            raise ValueError("an ensemble needs at least one member")
        self.name = name
        self.info: dict[str, Any] = {"members": [getattr(m, "name", str(m)) for m in self.members]}

    def __call__(self, lr: np.ndarray, out_shape: tuple[int, int]) -> np.ndarray:
        acc = None
        for m in self.members:
            y = np.asarray(m(lr, out_shape), dtype=np.float64)
            acc = y if acc is None else acc + y
        return (acc / len(self.members)).astype(np.float32)


def _shipped_ensemble(method: str, members: tuple[str, ...], trained: float):
    def make(*, scale: float, arg: str | None = None, **params: Any) -> EnsembleMethod:
        if abs(scale - trained) > 1e-6 and not params.get("any_scale", False):
            raise ValueError(f"{method} is validated for scale {trained:g}, not {scale:g}")
        built = [METHODS.get(m).factory(scale=scale, arg=None, **params) for m in members]
        return EnsembleMethod(built, name=method)

    return make


def _register_shipped() -> None:
    from mrisr.weights import ensembles, index

    for entry in index():
        for m, s in zip(entry.methods, entry.scales, strict=True):
            if m not in METHODS:
                METHODS.register(m, MethodInfo(
                    _shipped(m), summary=f"shipped LIIF weights {entry.file}", family="liif",
                    params=LIIF_OPTIONS | {"any_scale"}, scales=entry.scale_range or (float(s),),
                    intensity_reference=partial(_reference_of, m), trained_on=entry.trained_on,
                ))
    for ens in ensembles():
        if ens.method not in METHODS:  # one intensity guard around the mean of the members
            METHODS.register(ens.method, MethodInfo(
                _shipped_ensemble(ens.method, ens.members, ens.scale), summary="output ensemble of shipped LIIF weights",
                family="liif", params=LIIF_OPTIONS | {"any_scale"}, scales=(float(ens.scale),),
                intensity_reference=partial(_reference_of, ens.members[0]), members=tuple(ens.members),
                trained_on="gaussian",
            ))


METHODS.register("liif", MethodInfo(
    _liif, summary="LIIF weights (.safetensors) or a training checkpoint (.pt) of one's own", family="liif",
    arg="a checkpoint: liif:PATH", needs_arg=True, params=LIIF_OPTIONS,
))
METHODS.register(SELFSUP, MethodInfo(
    None, summary="a shipped LIIF model fine-tuned on a thick-slice volume's own slices (through-plane only)",
    family="liif", through_plane_only=True,
))  # params=None: mrisr.volume.selfsup.SelfSupConfig checks them
_register_shipped()
