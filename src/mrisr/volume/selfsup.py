"""Self-supervised through-plane LIIF: a shipped model fine-tuned on the volume's own slices.

A thick-slice volume has fine voxels in-plane. Its in-plane slices, thickened
along one of their axes with the acquisition's slice profile, are training
pairs of exactly the degradation that the through-plane path must undo; the
planes that contain the slice axis are then rendered with the fine-tuned model
(the idea of SMORE: Zhao et al., "SMORE: a self-supervised anti-aliasing and
super-resolution algorithm for MRI using deep learning", IEEE TMI 2021). No
ground truth and no other volume is used; the starting weights are the shipped
in-plane LIIF model of the nearer factor.

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
from dataclasses import asdict, dataclass

import numpy as np

from mrisr.data.dihedral import Dihedral

logger = logging.getLogger(__name__)

#: the method's name; its record (through-plane only: it is fitted to the input volume) is registered with the
#: other LIIF methods (:data:`mrisr.models.method.SELFSUP`, the same name, kept there so that importing this
#: module does not import torch)
METHOD = "liif-selfsup"
#: options passed on to :class:`mrisr.models.method.LIIFMethod`, which renders the planes
RENDER_OPTIONS = {"device", "batch_size", "chunk", "self_ensemble"}


@dataclass(frozen=True)
class SelfSupConfig:
    """Options of the per-volume fine-tuning.

    Attributes
    ----------
    base : str, optional
        Starting weights: a shipped method (``'liif-x4'``) or ``'liif:PATH'``;
        default ``'liif-x2'`` below factor 3, else ``'liif-x4'``.
    steps : int
        Optimiser steps (0: the starting weights as they are).
    crops : int
        Crops per step (the batch).
    patch : int
        HR extent of a crop along each axis, in voxels.
    queries : int
        HR voxels sampled per crop.
    lr : float
        Adam learning rate (cosine decay to 1 % over ``steps``).
    seed : int
        Seeds crops, flips and queries.
    min_foreground : float
        Least fraction of a crop above 5 % of the volume's range (crops are redrawn up to 20 times).
    """

    base: str | None = None
    steps: int = 500
    crops: int = 8
    patch: int = 64
    queries: int = 2048
    lr: float = 2e-4
    seed: int = 0
    min_foreground: float = 0.3

    def __post_init__(self) -> None:
        for name in ("steps", "crops", "patch", "queries"):
            v, least = getattr(self, name), 0 if name == "steps" else 1
            if isinstance(v, bool) or not isinstance(v, int) or v < least:
                raise ValueError(f"selfsup {name} must be an integer >= {least}, got {v!r}")
        if not (math.isfinite(self.lr) and self.lr > 0):
            raise ValueError(f"selfsup lr must be > 0, got {self.lr!r}")
        if not 0 <= self.min_foreground < 1:
            raise ValueError(f"selfsup min_foreground must be in [0, 1), got {self.min_foreground!r}")

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


def base_spec(factor: float, base: str | None) -> str:
    """The starting weights' method spec: ``base``, else the shipped model of the nearer factor."""
    return base or ("liif-x2" if factor < 3 else "liif-x4")


def _base_method(spec: str, factor: float, render: dict):
    """The starting model (a shipped weight file's method or ``liif:PATH``), built by the method registry like
    any LIIF method, without the intensity guard (the model is fitted to this volume's own intensities)."""
    from mrisr.methods import make_method, method_info, parse_spec

    info = method_info(spec)
    if info.family != "liif" or info.members or info.through_plane_only:
        raise ValueError(f"{METHOD} base must be one LIIF model (liif-x2, liif-x4, ... or liif:PATH), got {spec!r}")
    # a shipped name is validated for its own scale only; any_scale lets it start from another factor
    params = {**render, "intensity": "off", **({"any_scale": True} if info.scales else {})}
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


def fine_tune(model, pairs: SlicePairs, cfg: SelfSupConfig, *, device: str = "cpu",
              progress: bool = True) -> list[float]:
    """Fine-tune ``model`` in place on ``pairs`` (L1 loss, Adam, cosine decay); returns the loss per step."""
    import torch
    from tqdm.auto import tqdm

    torch.manual_seed(cfg.seed)
    model.to(device).train()
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=cfg.steps, eta_min=cfg.lr * 0.01)
    losses = []
    with tqdm(range(cfg.steps), desc="self-supervised fine-tuning", unit="step", disable=not progress,
              leave=False) as bar:
        for _ in bar:
            lr, coord, cell, target = (t.to(device) for t in pairs.batch())
            loss = (model(lr, coord, cell) - target).abs().mean()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            losses.append(loss.item())
            bar.set_postfix(loss=f"{losses[-1]:.4f}", refresh=False)
    model.eval()
    return losses


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

    cfg, render = SelfSupConfig.from_params(params)
    spec = base_spec(factor, cfg.base)
    method = _base_method(spec, factor, render)
    slices = np.moveaxis(np.asarray(unit, dtype=np.float32), axis, 0)
    pairs = SlicePairs(slices, factor, profile, thickness, cfg)
    t = time.perf_counter()
    with torch.enable_grad():
        losses = fine_tune(method.model, pairs, cfg, device=method.device, progress=progress)
    sec = time.perf_counter() - t
    tenth = max(1, len(losses) // 10)
    head = float(np.mean(losses[:tenth])) if losses else float("nan")
    tail = float(np.mean(losses[-tenth:])) if losses else float("nan")
    logger.info("%s: fine-tuned %s on %d in-plane slices (%d -> %d rows, x%.4g) for %d steps in %.0f s; "
                "L1 %.5f -> %.5f", label, spec, slices.shape[0], pairs.n_hr, pairs.n_lr, pairs.ratio, cfg.steps,
                sec, head, tail)
    method.name = METHOD
    method.info["selfsup"] = {**asdict(cfg), "base": spec, "seconds": round(sec, 1), "loss_first": head,
                              "loss_last": tail, "train_ratio": pairs.ratio}
    return method
