"""Self-supervised through-plane LIIF: a shipped model fine-tuned on the volume's own slices.

A thick-slice volume has fine voxels in-plane. Its in-plane slices, thickened
along one of their axes with the acquisition's slice profile, are training
pairs of exactly the degradation that the through-plane path must undo; the
planes that contain the slice axis are then rendered with the fine-tuned model
(the idea of SMORE: Zhao et al., "SMORE: a self-supervised anti-aliasing and
super-resolution algorithm for MRI using deep learning", IEEE TMI 2021). No
ground truth and no other volume is used. The starting weights are the shipped
through-plane base ``liif-slices`` (:data:`BASE`), already trained on such pairs
made from IXI slices at many factors, profiles and contrasts, so a volume needs
few steps: every ``holdout``-th in-plane slice is kept out of training, and the
fine-tuning stops when the loss on those stops falling (the weights of the best
validation are kept).

Training pairs are built per in-plane slice: the slice is thickened along its
first axis (:func:`mrisr.classical.operators.profile_matrix`, the operator that
ELRTV is told), LR crops are drawn where the head is, the HR voxels whose
centres fall inside a crop are its queries, and each batch is flipped and
transposed at random (coordinates and cells follow), so the model serves both
orientations of the through-plane planes.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np

from mrisr.data.dihedral import Dihedral

logger = logging.getLogger(__name__)

#: the method's name; its record (through-plane only: it is fitted to the input volume) is registered with the
#: other LIIF methods (:data:`mrisr.models.method.SELFSUP`, the same name, kept there so that importing this
#: module does not import torch)
METHOD = "liif-selfsup"
#: the default starting weights: the shipped through-plane base (IXI slices thickened along one axis)
BASE = "liif-slices"
#: what its training inputs were (``trained_on`` in the weights' index): planes thickened with a slice profile
TRAINED_ON = "slice-profile"
#: default most fine-tuning steps per unit of through-plane factor (:attr:`SelfSupConfig.steps`)
STEPS_PER_FACTOR = 75
#: default steps between validations per unit of factor (:attr:`SelfSupConfig.check_every`)
CHECK_PER_FACTOR = 12.5
#: default HR queries per crop times the factor (:attr:`SelfSupConfig.queries`), at most :data:`MAX_QUERIES`
QUERIES_TIMES_FACTOR = 4096
#: default HR queries per crop up to a factor of 2
MAX_QUERIES = 2048
#: options passed on to :class:`mrisr.models.method.LIIFMethod`, which renders the planes
RENDER_OPTIONS = {"device", "batch_size", "chunk", "self_ensemble"}
#: :attr:`SelfSupConfig.precision` choices
PRECISIONS = ("auto", "float32", "bfloat16")


@dataclass(frozen=True)
class SelfSupConfig:
    """Options of the per-volume fine-tuning.

    Attributes
    ----------
    base : str, optional
        Starting weights: a shipped method (``'liif-x4'``) or ``'liif:PATH'``;
        default :data:`BASE`.
    steps : int, optional
        Most optimiser steps (0: the starting weights as they are); fewer when validation stops improving.
        Default :data:`STEPS_PER_FACTOR` times the factor, rounded: a step's crops hold fewer LR rows at a
        larger factor, so it gets more steps (150 at 2x, 450 at 6x).
    crops : int
        Crops per step (the batch).
    patch : int
        HR extent of a crop along each axis, in voxels.
    queries : int, optional
        HR voxels sampled per crop. Default :data:`QUERIES_TIMES_FACTOR` over the factor, at most
        :data:`MAX_QUERIES` (2,048 up to 2x, 1,024 at 4x, 683 at 6x): the same queries per LR row of a crop at
        every factor above 2, since at a large factor the decoder's queries, not the encoder, dominate a step.
    lr : float
        Adam learning rate (cosine decay to 1 % over ``steps``).
    seed : int
        Seeds crops, flips and queries.
    min_foreground : float
        Least fraction of a crop above 5 % of the volume's range (crops are redrawn up to 20 times).
    holdout : int
        Every ``holdout``-th in-plane slice is kept out of training and validates it (0: none, and no early
        stop); the weights with the lowest validation loss are kept.
    check_every : int, optional
        Steps between validations. Default :data:`CHECK_PER_FACTOR` times the factor, rounded (25 at 2x, 75 at
        6x): measured in the budget's unit, so that a fit at a large factor, whose steps see fewer LR rows, is
        not judged on less data than one at 2x.
    patience : int
        Validations in a row without an improvement of ``min_delta`` (relative) that stop the fine-tuning.
    min_delta : float
        Relative decrease of the validation L1 that counts as an improvement.
    precision : {'auto', 'float32', 'bfloat16'}
        Arithmetic of the fine-tuning's forward passes, its validation and the rendering (bfloat16 autocast;
        weights, optimiser and losses stay float32). ``'auto'``: bfloat16 on a CPU with native bfloat16
        instructions (:func:`mrisr.devices.fast_bfloat16`), float32 elsewhere. On the MNI152 benchmark
        bfloat16 was 1.6 to 1.8 times faster at -0.02 to +0.07 dB
        (``benchmarks/results/through_plane_speed_bf16.md``).
    """

    base: str | None = None
    steps: int | None = None
    crops: int = 8
    patch: int = 64
    queries: int | None = None
    lr: float = 2e-4
    seed: int = 0
    min_foreground: float = 0.3
    holdout: int = 10
    check_every: int | None = None
    patience: int = 2
    min_delta: float = 0.005
    precision: str = "auto"

    def __post_init__(self) -> None:
        for name in ("steps", "crops", "patch", "queries", "holdout", "check_every", "patience"):
            v, least = getattr(self, name), 0 if name in ("steps", "holdout") else 1
            if name in ("steps", "queries", "check_every") and v is None:
                continue
            if isinstance(v, bool) or not isinstance(v, int) or v < least:
                raise ValueError(f"selfsup {name} must be an integer >= {least}, got {v!r}")
        if self.holdout == 1:
            raise ValueError("selfsup holdout must be 0 (none) or >= 2 (every holdout-th slice validates)")
        if not (math.isfinite(self.lr) and self.lr > 0):
            raise ValueError(f"selfsup lr must be > 0, got {self.lr!r}")
        if not 0 <= self.min_foreground < 1:
            raise ValueError(f"selfsup min_foreground must be in [0, 1), got {self.min_foreground!r}")
        if not 0 <= self.min_delta < 1:
            raise ValueError(f"selfsup min_delta must be in [0, 1), got {self.min_delta!r}")
        if self.precision not in PRECISIONS:
            raise ValueError(f"selfsup precision must be one of {', '.join(PRECISIONS)}, got {self.precision!r}")

    def at_factor(self, factor: float) -> SelfSupConfig:
        """This config with the defaults that depend on the through-plane factor filled in (``steps``,
        ``queries``, ``check_every``)."""
        steps = int(round(STEPS_PER_FACTOR * factor)) if self.steps is None else self.steps
        queries = min(MAX_QUERIES, max(1, int(round(QUERIES_TIMES_FACTOR / factor)))) if self.queries is None \
            else self.queries
        every = max(1, int(round(CHECK_PER_FACTOR * factor))) if self.check_every is None else self.check_every
        return replace(self, steps=steps, queries=queries, check_every=every)

    def bfloat16(self, device) -> bool:
        """Whether to fine-tune and render under bfloat16 autocast on ``device`` (a torch device)."""
        from mrisr.devices import fast_bfloat16

        return self.precision == "bfloat16" or (self.precision == "auto" and fast_bfloat16(device))

    @classmethod
    def from_params(cls, params: dict | None) -> tuple[SelfSupConfig, dict]:
        """Split method params into this config and options of the rendering method.

        ``intensity`` and ``any_scale`` (set for every LIIF method by the command line) are dropped: the
        model is fitted to this volume's own intensities and factor. Unknown keys raise ``ValueError``.
        """
        params = dict(params or {})
        for k in ("intensity", "any_scale"):
            params.pop(k, None)
        fields = set(cls.__dataclass_fields__)
        own = {k: params.pop(k) for k in list(params) if k in fields}
        unknown = set(params) - RENDER_OPTIONS
        if unknown:
            raise ValueError(f"unknown {METHOD} options: {', '.join(sorted(unknown))}")
        return cls(**own), params


def base_method(spec: str, factor: float, render: dict | None = None):
    """A LIIF model (a shipped weight file's method or ``liif:PATH``) built to render through-plane planes at
    ``factor``: by the method registry like any LIIF method, at any factor, without the intensity guard (the
    model is fitted to the volume's own intensities), the planes never read as k-space acquisitions.
    ``render``: options of :data:`RENDER_OPTIONS`."""
    from mrisr.methods import make_method, method_info, parse_spec

    info = method_info(spec)
    if info.family != "liif" or info.members or info.through_plane_only:
        raise ValueError(f"{METHOD} base must be one LIIF model (liif-x2, liif-x4, ... or liif:PATH), got {spec!r}")
    # a shipped name is validated for its own scale only; any_scale lets it start from another factor
    # and the planes' slice axis is a slice profile, never a k-space grid (no acquisition blending)
    params = {**(render or {}), "intensity": "off", "acquisition": "resize", **({"any_scale": True} if info.scales else {})}
    return make_method(parse_spec(spec), scale=factor, params=params)


class SlicePairs:
    """Random (LR crop, HR queries) batches from in-plane slices thickened along their first axis.

    Parameters
    ----------
    slices : (n, A, B) float array
        In-plane slices in [0, 1].
    factor : float
        Through-plane factor: each slice keeps ``floor(A / factor)`` rows.
    profile, thickness
        Slice profile and thickness in LR spacings (:func:`profile_matrix`).
    cfg : SelfSupConfig
    """

    def __init__(self, slices: np.ndarray, factor: float, profile: str, thickness: float, cfg: SelfSupConfig):
        from mrisr.classical.operators import profile_matrix

        n, a, b = slices.shape
        self.n_lr = max(1, int(a // factor))
        self.n_hr = min(a, int(round(self.n_lr * factor)))
        self.ratio = self.n_hr / self.n_lr
        off = (a - self.n_hr) // 2
        self.hr = np.ascontiguousarray(slices[:, off:off + self.n_hr], dtype=np.float32)
        m = profile_matrix(self.n_hr, self.n_lr, profile=profile, thickness=thickness).astype(np.float32)
        self.lr = np.einsum("la,nab->nlb", m, self.hr)
        self.mw = min(cfg.patch, b)
        self.mh = min(self.n_lr, max(3, int(round(cfg.patch / self.ratio))))
        self.cfg = cfg
        span = float(slices.max() - slices.min()) or 1.0
        self.fg = self.lr > slices.min() + 0.05 * span
        self.rng = np.random.default_rng(cfg.seed)

    def _crop(self) -> tuple[int, int, int]:
        n = self.lr.shape[0]
        for _ in range(20):
            k = int(self.rng.integers(n))
            i0 = int(self.rng.integers(self.n_lr - self.mh + 1))
            j0 = int(self.rng.integers(self.lr.shape[2] - self.mw + 1))
            if self.fg[k, i0:i0 + self.mh, j0:j0 + self.mw].mean() >= self.cfg.min_foreground:
                break
        return k, i0, j0

    def _first_row(self, i: int) -> int:
        """The first HR row whose centre lies at or after LR row edge ``i`` (HR row ``j`` is centred at LR
        coordinate ``(j + 0.5) / ratio``, the LR rows' edges at integers)."""
        return math.ceil(i * self.ratio - 0.5)

    def batch(self):
        """(lr (B, 1, h, w), coord (B, Q, 2), cell (B, Q, 2), target (B, Q, 1)) as torch tensors."""
        import torch

        cfg, r = self.cfg, self.ratio
        lrs, coords, targets = [], [], []
        for _ in range(cfg.crops):
            k, i0, j0 = self._crop()
            lrs.append(self.lr[k, i0:i0 + self.mh, j0:j0 + self.mw])
            lo, hi = self._first_row(i0), min(self._first_row(i0 + self.mh), self.n_hr)
            rows = self.rng.integers(lo, hi, cfg.queries)
            cols = self.rng.integers(j0, j0 + self.mw, cfg.queries)
            y = 2 * ((rows + 0.5) / r - i0) / self.mh - 1
            x = 2 * (cols - j0 + 0.5) / self.mw - 1
            coords.append(np.stack([y, x], axis=-1))
            targets.append(self.hr[k, rows, cols])
        lr = torch.from_numpy(np.stack(lrs)[:, None])
        coord = torch.from_numpy(np.stack(coords).astype(np.float32))
        target = torch.from_numpy(np.stack(targets)[..., None])
        cell = torch.tensor([2.0 / (self.mh * r), 2.0 / self.mw]).expand_as(coord).clone()
        # one random dihedral transform per batch (crops of one batch share a shape)
        d = Dihedral.draw(self.rng)
        coord, cell = d.apply_queries(coord, cell)
        return d.apply(lr).contiguous(), coord, cell, target


def split_slices(n: int, holdout: int) -> tuple[np.ndarray, np.ndarray]:
    """(training, validation) slice indices: every ``holdout``-th slice validates (none when 0 or too few)."""
    idx = np.arange(n)
    if holdout == 0 or n < 2 * holdout:
        return idx, idx[:0]
    val = idx[holdout // 2::holdout]
    return np.setdiff1d(idx, val), val


class _Validation:
    """Fixed validation batches and the early-stopping rule of :class:`SelfSupConfig`."""

    BATCHES = 4

    def __init__(self, pairs: SlicePairs | None, cfg: SelfSupConfig):
        self.batches = [pairs.batch() for _ in range(self.BATCHES)] if pairs is not None else []
        self.cfg, self.best, self.best_step, self.state, self.first, self.waited = cfg, math.inf, 0, None, None, 0

    def __call__(self, model, step: int, device: str, bfloat16: bool = False) -> bool:
        """Validate at ``step`` (the forward passes under bfloat16 autocast with ``bfloat16``, as the model
        will render); keep the best weights; whether to stop."""
        import torch

        if not self.batches:
            return False
        model.eval()
        with torch.no_grad(), torch.autocast(torch.device(device).type, dtype=torch.bfloat16, enabled=bfloat16):
            loss = float(np.mean([(model(*(t.to(device) for t in b[:3])).float() - b[3].to(device)).abs().mean().item()
                                  for b in self.batches]))
        model.train()
        self.first = loss if self.first is None else self.first
        if loss < self.best * (1 - self.cfg.min_delta):
            self.waited = 0
        else:
            self.waited += 1
        if loss < self.best:
            self.best, self.best_step = loss, step
            self.state = {k: v.detach().clone() for k, v in model.state_dict().items()}
        return self.waited >= self.cfg.patience

    def restore(self, model) -> None:
        if self.state is not None:
            model.load_state_dict(self.state)


def l1_step(model, opt, sched, batch, device: str = "cpu", bfloat16: bool = False) -> float:
    """One optimiser step of the L1 loss on ``batch`` (lr, coord, cell, target); returns the loss.
    ``bfloat16``: the forward pass under bfloat16 autocast (the loss in float32)."""
    import torch

    lr, coord, cell, target = (t.to(device) for t in batch)
    with torch.autocast(torch.device(device).type, dtype=torch.bfloat16, enabled=bfloat16):
        pred = model(lr, coord, cell)
    loss = (pred.float() - target).abs().mean()
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()
    sched.step()
    return loss.item()


def fine_tune(model, pairs: SlicePairs, cfg: SelfSupConfig, *, device: str = "cpu", progress: bool = True,
              val: SlicePairs | None = None) -> tuple[list[float], dict]:
    """Fine-tune ``model`` in place on ``pairs`` (L1 loss, Adam, cosine decay over ``cfg.steps``), with the
    forward passes in bfloat16 where ``cfg`` says so (:meth:`SelfSupConfig.bfloat16`).

    With ``val`` pairs, the model is validated before the first step and every ``cfg.check_every`` steps;
    training stops after ``cfg.patience`` validations without a relative improvement of ``cfg.min_delta``,
    and the weights of the best validation are kept. Returns the loss per step and the validation record
    (``stopped_at``, ``best_step``, ``val_first``, ``val_best``).
    """
    import torch
    from tqdm.auto import tqdm

    if None in (cfg.steps, cfg.queries, cfg.check_every):
        raise ValueError("fine_tune needs steps, queries and check_every set: use SelfSupConfig.at_factor(factor)")
    torch.manual_seed(cfg.seed)
    bf16 = cfg.bfloat16(torch.device(device))
    model.to(device).train()
    # the fused update: one kernel for all tensors (about 4 % of a step on 2 CPU cores), the same update
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr, fused=torch.device(device).type in ("cpu", "cuda"))
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max(cfg.steps, 1), eta_min=cfg.lr * 0.01)
    check = _Validation(val, cfg)
    losses, step = [], 0
    with tqdm(total=cfg.steps, desc="self-supervised fine-tuning", unit="step", disable=not progress,
              leave=False) as bar:
        stop = cfg.steps > 0 and check(model, 0, device, bf16)
        while step < cfg.steps and not stop:
            losses.append(l1_step(model, opt, sched, pairs.batch(), device, bf16))
            step += 1
            bar.update()
            bar.set_postfix(loss=f"{losses[-1]:.4f}", refresh=False)
            if step % cfg.check_every == 0 or step == cfg.steps:
                stop = check(model, step, device, bf16)
    check.restore(model)
    model.eval()
    checked = check.first is not None
    record = {"stopped_at": step, "best_step": check.best_step if checked else step,
              "val_first": check.first, "val_best": check.best if checked else None}
    return losses, record


def fit_through_plane_model(unit: np.ndarray, axis: int, factor: float, *, profile: str = "box",
                            thickness: float = 1.0, params: dict | None = None, progress: bool = True,
                            label: str = "volume"):
    """A LIIF method fine-tuned on ``unit``'s in-plane slices for through-plane factor ``factor``.

    Parameters
    ----------
    unit : (X, Y, Z) array
        The volume in [0, 1].
    axis : int
        Its slice axis; the slices across it are the training images.
    factor : float
        Through-plane factor (output slices per input slice).
    profile, thickness
        Slice profile and thickness in input slice spacings.
    params : dict, optional
        :class:`SelfSupConfig` fields, plus options of
        :class:`mrisr.models.method.LIIFMethod` (``self_ensemble``, ``batch_size``).

    Returns
    -------
    LIIFMethod
        Named ``liif-selfsup``; ``info`` records the config, the loss and the time.
    """
    import torch

    from mrisr.devices import parse_device

    cfg, render = SelfSupConfig.from_params(params)
    cfg = cfg.at_factor(factor)
    spec = cfg.base or BASE
    bf16 = cfg.bfloat16(parse_device(render.get("device", "cpu")))  # the rendering's arithmetic, as the fit's
    method = base_method(spec, factor, {**render, "precision": "bfloat16" if bf16 else "float32"})
    _check_protocol(method.info.get("selfsup"), spec, factor, profile, thickness)
    slices = np.moveaxis(np.asarray(unit, dtype=np.float32), axis, 0)
    train, held = split_slices(slices.shape[0], cfg.holdout)
    pairs = SlicePairs(slices[train], factor, profile, thickness, cfg)
    val = SlicePairs(slices[held], factor, profile, thickness, replace(cfg, seed=cfg.seed + 1)) if held.size else None
    t = time.perf_counter()
    with torch.enable_grad():
        losses, record = fine_tune(method.model, pairs, cfg, device=method.device, progress=progress, val=val)
    sec = time.perf_counter() - t
    tenth = max(1, len(losses) // 10)
    head = float(np.mean(losses[:tenth])) if losses else float("nan")
    tail = float(np.mean(losses[-tenth:])) if losses else float("nan")
    logger.info("%s: fine-tuned %s on %d in-plane slices (%d -> %d rows, x%.4g) for %d of %d steps in %.0f s, %s "
                "(kept step %d, validated on %d slices); L1 %.5f -> %.5f", label, spec, train.size, pairs.n_hr,
                pairs.n_lr, pairs.ratio, record["stopped_at"], cfg.steps, sec, method.precision, record["best_step"],
                held.size, head, tail)
    method.name = METHOD
    method.info["selfsup"] = {**asdict(cfg), "base": spec, "seconds": round(sec, 1), "loss_first": head,
                              "loss_last": tail, "train_ratio": pairs.ratio, "factor": factor, "profile": profile,
                              "thickness": thickness, **record}
    return method


def _check_protocol(fitted: dict | None, spec: str, factor: float, profile: str, thickness: float) -> None:
    """Warn when a model saved by :func:`save_fitted` (``fitted``: its ``selfsup`` record) starts a volume of
    another factor, slice profile or thickness than it was fitted for."""
    if not fitted or "factor" not in fitted:
        return
    was = (float(fitted["factor"]), fitted["profile"], float(fitted["thickness"]))
    if abs(was[0] - factor) > 0.02 * factor or was[1] != profile or abs(was[2] - thickness) > 0.02 * thickness:
        logger.warning("%s was fitted for x%.3g, %s profile %.3g spacings; this volume is x%.3g, %s %.3g: fit it "
                       "on this protocol's own volume instead (or give it fine-tuning steps)", spec, *was, factor,
                       profile, thickness)


def reuse_params(path) -> dict:
    """The ``liif-selfsup`` params that render with a model saved by :func:`save_fitted`, without fine-tuning
    (``steps`` may be raised again). Raises :class:`~mrisr.errors.InputError` when there is no such file."""
    import os

    from mrisr.errors import InputError

    if not os.path.isfile(path):
        raise InputError("no such file (--reuse-model)", path)
    return {"base": f"liif:{path}", "steps": 0}


def save_fitted(method, path) -> Path:
    """Write a fitted ``liif-selfsup`` model (:func:`fit_through_plane_model`) to a ``.safetensors`` file.

    The file records what it was fitted for (factor, slice profile and thickness, steps, losses). Another
    volume of the same protocol can then skip the fine-tuning: ``params={'base': 'liif:PATH', 'steps': 0}``
    (``mrisr upscale VOL --isotropic --reuse-model PATH``), rendering only.
    """
    from mrisr.models.checkpoint import write_weights

    info = {"method": METHOD, "trained_on": TRAINED_ON, "selfsup": method.info["selfsup"]}
    return write_weights(method.model.state_dict(), method.info["model_spec"], path, info=info)
