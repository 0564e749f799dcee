"""Training patches for implicit decoders.

Every training step draws its own ``numpy.random.Generator`` from
``(seed, step, rank)``, so a resumed run samples exactly the patches an
uninterrupted one would have, and DDP ranks see different patches.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from mrisr.data.blind import PRIORS
from mrisr.data.datasets import holdout_names, list_images, lr_folder
from mrisr.data.degrade import apply_same_grid, parse_degradation, parse_same_grid
from mrisr.data.dihedral import Dihedral
from mrisr.data.io import read_image
from mrisr.data.resample import kspace_to_centres
from mrisr.train.config import DataConfig

logger = logging.getLogger(__name__)


@dataclass
class Batch:
    """A training batch: LR patches and sampled HR queries."""

    lr: torch.Tensor  # (B, 1, p, p)
    coord: torch.Tensor  # (B, Q, 2) in [-1, 1], (y, x)
    cell: torch.Tensor  # (B, Q, 2)
    gt: torch.Tensor  # (B, Q, 1)
    scale: float

    def to(self, device) -> Batch:
        return Batch(self.lr.to(device), self.coord.to(device), self.cell.to(device), self.gt.to(device), self.scale)


def _folder(root: str, split: str, s: int) -> Path:
    return Path(root) / split if s == 1 else lr_folder(root, split, s)


def load_stack(root: str, split: str, s: int, names: list[str] | None = None) -> tuple[list[str], np.ndarray]:
    """All images of ``<split>`` (s = 1) or ``<split> x<s>`` as an (N, H, W) float32 stack."""
    files = list_images(_folder(root, split, s))
    if names is not None:
        by_name = {p.name: p for p in files}
        missing = [n for n in names if n not in by_name]
        if missing:
            raise ValueError(f"{_folder(root, split, s)}: missing {len(missing)} images, e.g. {missing[0]}")
        files = [by_name[n] for n in names]
    return [p.name for p in files], np.stack([read_image(p) for p in files])


def quantise(image: np.ndarray, how: str) -> np.ndarray:
    """Clip a float image to [0, 1] and bring it to 8-bit levels: ``round``, ``floor`` (truncation) or ``none``."""
    if how == "none":
        return np.clip(image, 0, 1).astype(np.float32)
    x = np.clip(image, 0, 1) * 255
    x = np.round(x) if how == "round" else np.floor(x + 1e-6)  # 1e-6: exact levels stay where they are
    return (x / 255).astype(np.float32)


def shifted(hr: np.ndarray, s: int, dy: int, dx: int) -> np.ndarray:
    """``hr`` (..., H, W) shifted by (dy, dx) HR pixels and cropped to a multiple of ``s`` on each axis."""
    h = hr[..., dy:, dx:]
    return h[..., : h.shape[-2] // s * s, : h.shape[-1] // s * s]


class PatchSampler:
    """Draws random LR/HR patch pairs (stored, synthetic or on-the-fly degraded pairs).

    Parameters
    ----------
    cfg : DataConfig
        Data options.
    seed : int
        Base seed; combined with the step (and rank) for each batch.
    """

    def __init__(self, cfg: DataConfig, *, seed: int = 0, rank: int = 0) -> None:
        self.cfg, self.seed, self.rank = cfg, seed, rank
        names = None
        src = cfg.synthetic_from  # the folder the sampler treats as HR: 1 (HR) or a coarser one
        if cfg.holdout:
            held = set(holdout_names(cfg.root, cfg.train_split, cfg.holdout))
            names = [p.name for p in list_images(_folder(cfg.root, cfg.train_split, src)) if p.name not in held]
        names, hr = load_stack(cfg.root, cfg.train_split, src, names)
        self.names = names
        self.stacks: dict[int, np.ndarray] = {1: hr}
        self._operators: dict = {}
        if cfg.mode == "stored":
            for s in sorted({s for p in cfg.pairs for s in p if s != 1}):
                self.stacks[s] = load_stack(cfg.root, cfg.train_split, s, names)[1]
        self.prior = PRIORS.get(cfg.prior) if cfg.prior else None
        if cfg.mode == "synthetic":
            for lr_s, _ in cfg.pairs:  # build the operators now: a bad spec fails before training starts
                self._operator(hr.shape[1:], lr_s)
        self._check_patch(max(cfg.lr_patch, cfg.lr_patch_final or 0))
        logger.info("loaded %d training images (%d held out)", len(names), cfg.holdout)

    def _check_patch(self, p: int) -> None:
        """Refuse an LR patch larger than the smallest LR image it would be cut from."""
        d = self.cfg
        if d.mode == "stored":
            side = min(min(self.stacks[a].shape[1:]) for a, _ in d.pairs)
        elif d.mode == "synthetic":  # a shift of up to s - 1 HR pixels costs one LR row and column
            side = min((min(self.stacks[1].shape[1:]) - (a - 1)) // a for a, _ in d.pairs)
        elif self.prior is not None:  # the LR patch plus a margin on each side, at the largest scale
            side = int(min(self.stacks[1].shape[1:]) // self.prior.scale_range[1]) - 2 * self.prior.scale_grid
        else:
            side = int(min(self.stacks[1].shape[1:]) // d.scale_range[1])
        if p > side:
            raise ValueError(f"{_folder(d.root, d.train_split, d.synthetic_from)}: data.lr_patch {p} is larger than the "
                             f"{side}-px LR images it is cut from in data.mode {d.mode!r}")

    def __len__(self) -> int:
        return len(self.names)

    def patch_size(self, step: int, total: int) -> int:
        """LR patch side at ``step``: grows linearly to ``lr_patch_final`` if set."""
        p0, p1 = self.cfg.lr_patch, self.cfg.lr_patch_final or self.cfg.lr_patch
        return int(round(p0 + (p1 - p0) * min(1.0, step / max(1, total))))

    def _corner(self, rng: np.random.Generator, ref: np.ndarray, size: int) -> tuple[int, int]:
        """Top-left of a ``size`` crop of ``ref``, preferring crops that are mostly object."""
        h, w = ref.shape
        best, best_frac = (0, 0), -1.0
        for _ in range(10):
            y, x = int(rng.integers(0, h - size + 1)), int(rng.integers(0, w - size + 1))
            frac = float((ref[y : y + size, x : x + size] > 0.02).mean())
            if frac >= self.cfg.foreground_min:
                return y, x
            if frac > best_frac:
                best, best_frac = (y, x), frac
        return best

    def _stored(self, rng, idx, p):
        lr_s, hr_s = self.cfg.pairs[int(rng.integers(len(self.cfg.pairs)))]
        s = lr_s // hr_s
        lr_all, hr_all = self.stacks[lr_s], self.stacks[hr_s]
        out_lr, out_hr = [], []
        for i in idx:
            y, x = self._corner(rng, lr_all[i], p)
            out_lr.append(lr_all[i, y : y + p, x : x + p])
            out_hr.append(hr_all[i, y * s : (y + p) * s, x * s : (x + p) * s])
        return np.stack(out_lr), np.stack(out_hr), float(s)

    def _on_the_fly(self, rng, idx, p):
        lo, hi = self.cfg.scale_range
        s = float(rng.uniform(lo, hi))
        hp = int(round(p * s))
        degrade = parse_degradation(self.cfg.degradation)
        out_lr, out_hr = [], []
        for i in idx:
            hr = self.stacks[1][i]
            y, x = self._corner(rng, hr, hp)
            crop = hr[y : y + hp, x : x + hp]
            lr = degrade(crop, (p, p), seed=rng, clip=False) if hp != p else crop
            out_lr.append(quantise(lr, self.cfg.quantise))
            out_hr.append(crop)
        return np.stack(out_lr).astype(np.float32), np.stack(out_hr), hp / p

    def _blind(self, rng, idx, p):
        """Pairs under the prior: one scale per batch, a contrast and an acquisition per image.

        The scale is ``k / g`` (``g`` the prior's grid), so a margin of ``g`` LR pixels is ``k`` whole
        HR pixels; the patch is rounded down so that it is whole HR pixels too. Each image is degraded
        with that margin around the patch, which is then cut away, so a k-space truncation or a blur
        sees image content, not the crop's edge, around every kept pixel. A k-space draw is shifted to
        the footprint-centre convention (:func:`mrisr.data.resample.kspace_to_centres`).
        """
        prior = self.prior
        k = int(round(prior.draw_scale(rng) * prior.scale_grid))
        m = prior.scale_grid
        q = m // math.gcd(k, m)
        p = max(q, p // q * q)
        hp, side = p * k // m, (p + 2 * m) * k // m
        out_lr, out_hr = [], []
        for i in idx:
            hr = self.stacks[1][i]
            y, x = self._corner(rng, hr, side)
            draw = prior.draw(rng, k / m)
            crop = np.clip(apply_same_grid(hr[y : y + side, x : x + side], parse_same_grid(draw.contrast), rng), 0, 1)
            acquisition = parse_degradation(draw.acquisition)
            lr = acquisition(crop, (p + 2 * m, p + 2 * m), seed=rng)
            if acquisition.resampling.name == "kspace":  # to the other families' centre convention (data.blind)
                lr = kspace_to_centres(lr, crop.shape)
            out_lr.append(lr[m : m + p, m : m + p])
            out_hr.append(crop[k : k + hp, k : k + hp])
        return np.stack(out_lr).astype(np.float32), np.stack(out_hr).astype(np.float32), k / m

    def _operator(self, hr_shape: tuple[int, int], s: int) -> tuple[torch.Tensor, torch.Tensor]:
        """``(R_h, R_w)`` of the configured operator for an HR image of ``hr_shape`` (built once per shape).

        Float32 torch matrices, so that degrading runs on torch's CPU threads (``threads``) rather than on
        numpy's BLAS pool, which takes every core: with several runs side by side on one machine those pools
        competed for the cores and the runs were CPU-bound (0.8 s per step, GPU 28 % busy).
        """
        from mrisr.classical.operators import make_operator

        key = (hr_shape, s)
        if key not in self._operators:
            lr_shape = (hr_shape[0] // s, hr_shape[1] // s)
            op = make_operator(self.cfg.operator, hr_shape, lr_shape)
            self._operators[key] = tuple(torch.from_numpy(m) for m in op.matrices(np.float32))
        return self._operators[key]

    def _synthetic(self, rng, idx, p):
        """Pairs made by degrading whole HR images, each shifted by a random sampling phase."""
        s = self.cfg.pairs[int(rng.integers(len(self.cfg.pairs)))][0]
        out_lr, out_hr = [], []
        for i in idx:
            dy, dx = (int(v) for v in rng.integers(0, s, size=2))
            hr = shifted(self.stacks[1][i], s, dy, dx)
            rh, rw = self._operator(hr.shape, s)
            lr = quantise((rh @ torch.from_numpy(hr) @ rw.T).numpy(), self.cfg.quantise)
            y, x = self._corner(rng, lr, p)
            out_lr.append(lr[y : y + p, x : x + p])
            out_hr.append(hr[y * s : (y + p) * s, x * s : (x + p) * s])
        return np.stack(out_lr).astype(np.float32), np.stack(out_hr), float(s)

    def sample(self, step: int, batch_size: int, patch: int) -> Batch:
        """The batch for ``step`` (deterministic in seed, step and rank)."""
        rng = np.random.default_rng([self.seed, step, self.rank])
        idx = rng.integers(0, len(self.names), size=batch_size)
        draw = {"stored": self._stored, "on_the_fly": self._on_the_fly, "synthetic": self._synthetic}[self.cfg.mode]
        if self.prior is not None:
            draw = self._blind
        lr, hr, scale = draw(rng, idx, patch)
        if self.cfg.augment:
            lr, hr = _augment(rng, lr, hr)
        return _queries(rng, lr, hr, self.cfg.queries, scale)


def _augment(rng, lr: np.ndarray, hr: np.ndarray):
    """The same random flip/transpose for the whole batch (LR and HR alike)."""
    d = Dihedral.draw(rng)
    return np.ascontiguousarray(d.apply(lr)), np.ascontiguousarray(d.apply(hr))


def _queries(rng, lr: np.ndarray, hr: np.ndarray, n: int, scale: float) -> Batch:
    b, hh, hw = hr.shape
    ys = (np.arange(hh) * 2 + 1) / hh - 1
    xs = (np.arange(hw) * 2 + 1) / hw - 1
    if n == 0 or n >= hh * hw:
        flat = np.broadcast_to(np.arange(hh * hw), (b, hh * hw))
    else:
        flat = np.stack([rng.choice(hh * hw, size=n, replace=False) for _ in range(b)])
    coord = np.stack([ys[flat // hw], xs[flat % hw]], axis=-1).astype(np.float32)
    gt = np.take_along_axis(hr.reshape(b, -1), flat, axis=1)[..., None].astype(np.float32)
    cell = np.broadcast_to(np.array([2.0 / hh, 2.0 / hw], dtype=np.float32), coord.shape)
    return Batch(
        torch.from_numpy(lr[:, None].astype(np.float32)),
        torch.from_numpy(coord),
        torch.from_numpy(np.ascontiguousarray(cell)),
        torch.from_numpy(gt),
        scale,
    )


