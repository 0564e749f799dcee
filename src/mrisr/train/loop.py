"""The training loop: Adam + schedule, L1 (or L2) loss, EMA, validation, logging, checkpoints.

A run folder holds ``config.yaml`` (resolved), ``command.txt``,
``metrics.csv``, TensorBoard events in ``tb/`` and checkpoints
``last.pt``, ``best.pt`` and optionally ``step_<N>.pt``.
"""

from __future__ import annotations

import copy
import csv
import io
import logging
import math
import os
import random
import shlex
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
import yaml
from threadpoolctl import threadpool_limits

from mrisr._atomic import atomic_write_text
from mrisr.config import to_dict
from mrisr.data.degrade import lr_shape, parse_degradation
from mrisr.data.resample import kspace_to_centres
from mrisr.devices import parse_device
from mrisr.errors import InputError
from mrisr.metrics import psnr, ssim
from mrisr.models.checkpoint import load_checkpoint, save_checkpoint
from mrisr.models.registry import make_model
from mrisr.train.config import TrainConfig
from mrisr.train.data import PatchSampler, holdout_names, load_stack
from mrisr.train.render import RenderedLoss

logger = logging.getLogger(__name__)

LOSSES = {"l1": F.l1_loss, "l2": F.mse_loss}
CSV_FIELDS = ["step", "epoch", "wall_hours", "train_loss", "lr", "val_psnr", "val_ssim"]


def make_scheduler(opt: torch.optim.Optimizer, cfg: TrainConfig) -> torch.optim.lr_scheduler.LambdaLR:
    """Warm-up, then cosine decay to ``min_lr_ratio``, multi-step decay, or constant."""
    o = cfg.optim

    def factor(step: int) -> float:
        if step < o.warmup_steps:
            return (step + 1) / o.warmup_steps
        if o.schedule == "cosine":
            t = min(1.0, (step - o.warmup_steps) / max(1, cfg.steps - o.warmup_steps))
            return o.min_lr_ratio + (1 - o.min_lr_ratio) * 0.5 * (1 + math.cos(math.pi * t))
        if o.schedule == "multistep":
            return o.gamma ** sum(step >= m for m in o.milestones)
        return 1.0

    return torch.optim.lr_scheduler.LambdaLR(opt, factor)


@dataclass
class Validator:
    """Full-image validation at each ``[lr, hr]`` pair of the val split."""

    sets: list[tuple[str, np.ndarray, np.ndarray]]  # (tag, lr stack, hr stack)
    samples: dict[str, np.ndarray] = field(default_factory=dict)  # tag -> [HR | SR] of the first image

    select: str = "first"  # "psnr" is the first set's ("first") or the mean over all sets ("mean")

    @classmethod
    def from_config(cls, cfg: TrainConfig) -> Validator:
        d = cfg.data
        if d.val_degradations:
            return cls._degraded(d)
        pairs = d.val_pairs or (d.pairs if d.mode != "on_the_fly" else ((2, 1), (4, 1)))
        held = holdout_names(d.root, d.train_split, d.holdout) if d.holdout else []
        sets = []
        for lr_s, hr_s in pairs:
            tag = f"x{lr_s}" if hr_s == 1 else f"x{lr_s}_to_x{hr_s}"
            names, hr = load_stack(d.root, d.val_split, hr_s)
            _, lr = load_stack(d.root, d.val_split, lr_s, names)
            if d.val_limit:
                lr, hr = lr[: d.val_limit], hr[: d.val_limit]
            sets.append((tag, lr, hr))
            if held:
                sets.append((f"holdout_{tag}", load_stack(d.root, d.train_split, lr_s, held)[1],
                             load_stack(d.root, d.train_split, hr_s, held)[1]))
        return cls(sets)

    @classmethod
    def _degraded(cls, d) -> Validator:
        """The val (and held-out) HR images degraded by each of ``val_degradations`` at each ``val_scales``.

        A k-space spec's LR images are brought to the footprint-centre convention (as a blind model does
        with an input it takes for a k-space truncation: :func:`mrisr.data.resample.kspace_to_centres`).
        """
        hr = load_stack(d.root, d.val_split, 1)[1]
        if d.val_limit:
            hr = hr[: d.val_limit]
        if d.holdout:
            hr = np.concatenate([hr, load_stack(d.root, d.train_split, 1, holdout_names(d.root, d.train_split,
                                                                                      d.holdout))[1]])
        sets = []
        for scale in d.val_scales:
            for spec in d.val_degradations:
                pipe = parse_degradation(spec)
                lr = np.stack([pipe(h, lr_shape(h.shape, scale), seed=i) for i, h in enumerate(hr)])
                if pipe.resampling.name == "kspace":  # as a blind model sees a k-space input it recognises
                    lr = kspace_to_centres(lr, hr.shape[1:])
                sets.append((f"x{scale:g}_{spec}", lr, hr))
        return cls(sets, select="mean")

    @torch.no_grad()
    def __call__(self, model: torch.nn.Module, device: torch.device) -> dict[str, float]:
        model.eval()
        out: dict[str, float] = {}
        for tag, lr, hr in self.sets:
            ps, ss = [], []
            for i in range(len(lr)):
                x = torch.from_numpy(lr[i])[None, None].to(device)
                sr = model.upscale(x, hr.shape[1:]).clamp(0, 1)[0, 0].float().cpu().numpy()
                ps.append(psnr(sr, hr[i]))
                ss.append(ssim(sr, hr[i]))
                if i == 0:
                    self.samples[tag] = np.concatenate([hr[i], sr], axis=1)
            out[f"psnr_{tag}"], out[f"ssim_{tag}"] = float(np.mean(ps)), float(np.mean(ss))
        if self.select == "mean":
            out["psnr"] = float(np.mean([out[f"psnr_{t}"] for t, _, _ in self.sets]))
            out["ssim"] = float(np.mean([out[f"ssim_{t}"] for t, _, _ in self.sets]))
        else:
            first = self.sets[0][0]
            out["psnr"], out["ssim"] = out[f"psnr_{first}"], out[f"ssim_{first}"]
        model.train()
        return out


class Run:
    """State of one training run (model, optimiser, EMA, counters, logs)."""

    def __init__(self, cfg: TrainConfig, run_dir: Path, device: torch.device, *, rank: int = 0,
                 world: int = 1) -> None:
        self.cfg, self.dir, self.device, self.rank, self.world = cfg, run_dir, device, rank, world
        torch.manual_seed(cfg.seed)
        self.spec = to_dict(cfg.model)
        self.model = make_model(self.spec).to(device)
        self.init_info: dict = {}
        if cfg.init:
            self.init_info = self._init_from(Path(cfg.init))
        self.ema = copy.deepcopy(self.model).eval() if cfg.ema else None
        self.opt = torch.optim.Adam(
            self.model.parameters(), lr=cfg.optim.lr, betas=tuple(cfg.optim.betas),
            weight_decay=cfg.optim.weight_decay,
        )
        self.sched = make_scheduler(self.opt, cfg)
        self.step, self.best, self.wall = 0, -math.inf, 0.0
        self.n_train = 1  # training images, for epoch counting (set by ``train``)
        self.net = self.model
        if world > 1 or os.environ.get("MRISR_FORCE_DDP"):
            self.net = torch.nn.parallel.DistributedDataParallel(
                self.model, device_ids=[device.index] if device.type == "cuda" else None
            )

    def _init_from(self, path: Path) -> dict:
        """Start from the (EMA) weights of another run or weight file with the same model spec.

        A LIIF whose MLP is wider (same depth) is grown from them function-preservingly
        (:func:`mrisr.models.liif.widen_into`).
        """
        from mrisr.models.checkpoint import load_model
        from mrisr.models.liif import widen_into, widen_spec_from

        model, info = load_model(path, use_ema=True)
        record = {"path": str(path), **{k: v for k, v in info.items() if k != "model_spec"}}
        if info["model_spec"] == self.spec:
            self.model.load_state_dict(model.state_dict())
        elif widen_spec_from(info["model_spec"], self.spec):
            widen_into(self.model, model)
            record["widened_from"] = info["model_spec"]["args"].get("mlp_hidden")
        else:
            raise InputError("init weights were trained with a different model spec than the config "
                             "(only a wider LIIF MLP of the same depth can be grown from them)", path)
        return record

    # ---------------------------------------------------------------- checkpoints
    def state(self) -> dict:
        return {
            "model_spec": self.spec,
            "config": to_dict(self.cfg),
            "model": self.model.state_dict(),
            "ema": self.ema.state_dict() if self.ema else None,
            "optimizer": self.opt.state_dict(),
            "scheduler": self.sched.state_dict(),
            "step": self.step,
            "epoch": self.epoch(),
            "best_val_psnr": self.best,
            "wall_hours": self.wall / 3600,
            "init": self.init_info,
            "rng": _rng_state(),
        }

    def load(self, path: Path) -> None:
        ck = load_checkpoint(path)
        if ck["model_spec"] != self.spec:
            raise InputError("checkpoint was trained with a different model spec than the config", path)
        self.model.load_state_dict(ck["model"])
        if self.ema is not None and ck.get("ema"):
            self.ema.load_state_dict(ck["ema"])
        self.opt.load_state_dict(ck["optimizer"])
        self.sched.load_state_dict(ck["scheduler"])
        self.step, self.best, self.wall = int(ck["step"]), float(ck["best_val_psnr"]), ck["wall_hours"] * 3600
        _set_rng_state(ck["rng"])

    def save(self, name: str) -> None:
        save_checkpoint(self.dir / name, self.state())

    def epoch(self) -> float:
        return self.step * self.cfg.batch_size * self.world / max(1, self.n_train)


def _rng_state() -> dict:
    """Global RNG states (torch, CUDA, numpy, python) as tensors and plain values (``weights_only``-safe).

    Batches use their own per-step generators (:mod:`mrisr.train.data`); these cover anything else.
    """
    kind, keys, pos, has_gauss, gauss = np.random.get_state()
    version, internal, gauss_next = random.getstate()
    return {
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
        "numpy": {"kind": kind, "keys": torch.from_numpy(keys.astype(np.int64)), "pos": int(pos),
                  "has_gauss": int(has_gauss), "gauss": float(gauss)},
        "python": {"version": version, "internal": list(internal), "gauss_next": gauss_next},
    }


def _set_rng_state(state: dict) -> None:
    """Restore what :func:`_rng_state` saved."""
    torch.set_rng_state(state["torch"])
    if state.get("cuda") and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])
    n, py = state.get("numpy"), state.get("python")
    if isinstance(n, dict):  # checkpoints of mrisr 0.1.0 before this format kept only the torch state usable
        np.random.set_state((n["kind"], n["keys"].numpy().astype(np.uint32), n["pos"], n["has_gauss"], n["gauss"]))
    if isinstance(py, dict):
        random.setstate((py["version"], tuple(py["internal"]), py["gauss_next"]))


def _setup_dist(device_name: str) -> tuple[int, int, torch.device]:
    """Initialise torch.distributed from torchrun's environment (if any)."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1 and not os.environ.get("MRISR_FORCE_DDP"):
        return 0, 1, parse_device(device_name)
    import torch.distributed as dist

    rank, local = int(os.environ.get("RANK", "0")), int(os.environ.get("LOCAL_RANK", "0"))
    device = parse_device(device_name)
    if device.type == "cuda":
        device = torch.device("cuda", local)
        torch.cuda.set_device(device)
    if not dist.is_initialized():
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    return rank, dist.get_world_size(), device


def _append_csv(path: Path, row: dict) -> None:
    new = not path.exists()
    with open(path, "a", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=CSV_FIELDS, extrasaction="ignore")
        if new:
            w.writeheader()
        w.writerow(row)


def _truncate_csv(path: Path, step: int) -> None:
    """Drop log rows written after ``step`` (by a run that stopped between checkpoints)."""
    if not path.exists():
        return
    with open(path, newline="", encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh) if int(r["step"]) <= step]
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=CSV_FIELDS, extrasaction="ignore")
    w.writeheader()
    w.writerows(rows)
    atomic_write_text(path, buf.getvalue())


def _ema_update(ema: torch.nn.Module, model: torch.nn.Module, decay: float, step: int) -> None:
    """Exponential moving average of weights, with the usual warm-up ``(1 + t) / (10 + t)``
    so that early averages are not dominated by the initial weights."""
    decay = min(decay, (1 + step) / (10 + step))
    with torch.no_grad():
        for e, p in zip(ema.state_dict().values(), model.state_dict().values(), strict=True):
            if e.dtype.is_floating_point:
                e.mul_(decay).add_(p.detach(), alpha=1 - decay)
            else:
                e.copy_(p)


def train(
    cfg: TrainConfig,
    run_dir: str | Path,
    *,
    resume: bool = False,
    device: str | None = None,
    progress: bool = True,
    max_steps: int | None = None,
    max_seconds: float | None = None,
) -> dict:
    """Train ``cfg`` into ``run_dir``.

    Parameters
    ----------
    cfg : TrainConfig
        Validated configuration.
    run_dir : str or Path
        Output folder (created). With ``resume=True`` training continues from
        ``run_dir/last.pt`` exactly (model, optimiser, scheduler, RNG, step).
    device : str, optional
        Overrides ``cfg.device``.
    max_steps : int, optional
        Stop after this many steps in *this call* (the schedule still spans
        ``cfg.steps``); used to train in sessions.
    max_seconds : float, optional
        Stop (validating and saving ``last.pt`` as at any end) once this
        call's training wall time exceeds this many seconds; the schedule
        still spans ``cfg.steps``, so ``--resume`` continues it.

    Returns
    -------
    dict
        ``step``, ``best_val_psnr``, ``last_val`` and ``wall_hours``.
    """
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    # numpy's BLAS pool (pair making, validation) gets the same cap for the run: left at every core, several
    # runs side by side on one machine fight over the cores (threadpool_limits(None) changes nothing)
    with threadpool_limits(limits=cfg.threads or None, user_api="blas"):
        return _train(cfg, Path(run_dir), resume=resume, device=device, progress=progress,
                      max_steps=max_steps, max_seconds=max_seconds)


@dataclass
class _Session:
    """What one call of :func:`train` works with (built by :func:`_start`)."""

    cfg: TrainConfig
    run: Run
    device: torch.device
    main: bool
    sampler: PatchSampler
    aux: PatchSampler | None
    validator: Validator | None
    writer: Any  # a TensorBoard SummaryWriter on rank 0, else None
    end: int
    use_amp: bool
    use_bf16: bool
    scaler: torch.amp.GradScaler
    rendered: RenderedLoss | None
    call_start: float
    losses: list[float] = field(default_factory=list)
    last_val: dict[str, float] = field(default_factory=dict)


def _check_folder(run_dir: Path, resume: bool) -> None:
    """``--resume`` needs ``last.pt``; a fresh run must not overwrite one."""
    if resume and not (run_dir / "last.pt").exists():
        raise InputError("--resume given but no last.pt in the run folder", run_dir)
    if not resume and (run_dir / "last.pt").exists():
        raise InputError("run folder already holds a checkpoint; use --resume or another --name", run_dir)


def _open_folder(cfg: TrainConfig, run_dir: Path, step: int, resume: bool):
    """Create the run folder, write its config and command, open TensorBoard; return the writer.

    On resume, log rows and TensorBoard events after the checkpoint's ``step`` (written by a run that
    stopped between checkpoints) are dropped, so re-run steps appear once.
    """
    from torch.utils.tensorboard import SummaryWriter

    run_dir.mkdir(parents=True, exist_ok=True)
    if resume:
        _truncate_csv(run_dir / "metrics.csv", step)
    atomic_write_text(run_dir / "config.yaml", yaml.safe_dump(to_dict(cfg), sort_keys=False))
    with open(run_dir / "command.txt", "a", encoding="utf-8") as fh:
        fh.write(" ".join(shlex.quote(a) for a in sys.argv) + "\n")
    return SummaryWriter(str(run_dir / "tb"), purge_step=step + 1 if resume else None)


def _start(cfg: TrainConfig, run_dir: Path, *, resume: bool, device: str | None,
           max_steps: int | None, max_seconds: float | None) -> _Session:
    """Set up (or resume) a run; nothing is written before everything it needs has loaded."""
    rank, world, dev = _setup_dist(device or cfg.device)
    main = rank == 0
    if max_seconds is not None and world > 1:
        raise ValueError("a wall-time limit is not supported with several processes (ranks would stop apart)")
    _check_folder(run_dir, resume)
    sampler = PatchSampler(cfg.data, seed=cfg.seed, rank=rank)
    aux = PatchSampler(cfg.aux_data, seed=cfg.seed + 1, rank=rank) if cfg.aux_data else None
    run = Run(cfg, run_dir, dev, rank=rank, world=world)
    run.n_train = len(sampler)
    if resume:
        run.load(run_dir / "last.pt")
        logger.info("resumed at step %d", run.step)
    validator = Validator.from_config(cfg) if main else None
    writer = _open_folder(cfg, run_dir, run.step, resume) if main else None
    if dev.type == "cuda":
        torch.backends.cudnn.benchmark = True  # fixed patch sizes: let cuDNN pick its fastest kernels
    use_amp = cfg.amp and dev.type == "cuda"  # float16 with loss scaling
    use_bf16 = cfg.cpu_bf16 and dev.type == "cpu"  # bfloat16 needs no scaling
    end = cfg.steps if max_steps is None else min(cfg.steps, run.step + max_steps)
    run.model.train()
    return _Session(cfg, run, dev, main, sampler, aux, validator, writer, end, use_amp, use_bf16,
                    torch.amp.GradScaler("cuda", enabled=use_amp),
                    RenderedLoss(cfg.render) if cfg.render else None, call_start=run.wall)


def _optimise(s: _Session) -> torch.Tensor:
    """One optimisation step (batch, forward, backward, optimiser, schedule, EMA); returns the loss."""
    cfg, run = s.cfg, s.run
    t0 = time.perf_counter()
    src = s.aux if s.aux is not None and run.step % cfg.aux_every == cfg.aux_every - 1 else s.sampler
    batch = src.sample(run.step, cfg.batch_size, src.patch_size(run.step, cfg.steps)).to(s.device)
    with torch.autocast(s.device.type, dtype=torch.bfloat16 if s.use_bf16 else torch.float16,
                        enabled=s.use_amp or s.use_bf16):
        if s.rendered is not None and src is s.sampler:
            pred, gt = s.rendered(run.net, batch.lr, batch.gt, batch.scale)
        else:
            pred, gt = run.net(batch.lr, batch.coord, batch.cell), batch.gt
        loss = LOSSES[cfg.loss](pred.float(), gt)
    run.opt.zero_grad(set_to_none=True)
    s.scaler.scale(loss).backward()
    if cfg.optim.grad_clip:
        s.scaler.unscale_(run.opt)
        torch.nn.utils.clip_grad_norm_(run.model.parameters(), cfg.optim.grad_clip)
    s.scaler.step(run.opt)
    s.scaler.update()
    run.sched.step()
    if run.ema is not None:
        _ema_update(run.ema, run.model, cfg.ema, run.step)
    run.step += 1
    run.wall += time.perf_counter() - t0
    return loss


def _check_time(s: _Session, max_seconds: float | None) -> None:
    """Out of this call's wall time: end here (validated and saved as at a planned end)."""
    if max_seconds is not None and s.run.wall - s.call_start > max_seconds and s.run.step < s.end:
        s.end = s.run.step
        logger.info("stopping at step %d: %.0f s wall limit reached", s.run.step, max_seconds)


def _log(s: _Session, bar) -> dict | None:
    """Every ``log_every`` steps: the mean training loss and the learning rate (a log row)."""
    run = s.run
    if run.step % s.cfg.log_every != 0:
        return None
    row = {"train_loss": float(np.mean(s.losses)), "lr": run.sched.get_last_lr()[0]}
    s.writer.add_scalar("train/loss", row["train_loss"], run.step)
    s.writer.add_scalar("train/lr", row["lr"], run.step)
    s.writer.add_scalar("train/epoch", run.epoch(), run.step)
    bar.set_postfix(loss=f"{row['train_loss']:.4f}")
    s.losses.clear()
    return row


def _validate(s: _Session, bar, row: dict | None) -> dict | None:
    """Every ``val_every`` steps and at the end: validate, log, keep ``best.pt``; returns the log row."""
    run = s.run
    if not (run.step % s.cfg.val_every == 0 or run.step == s.end):
        return row
    t1 = time.perf_counter()
    s.last_val = val = s.validator(run.ema or run.model, s.device)
    run.wall += time.perf_counter() - t1
    row = row or {}
    row["val_psnr"], row["val_ssim"] = val["psnr"], val["ssim"]
    for k, v in val.items():
        s.writer.add_scalar(f"val/{k}", v, run.step)
    for tag, img in s.validator.samples.items():
        s.writer.add_image(f"val/sample_{tag}", img[None], run.step)  # HR | SR side by side
    logger.info("step %d val %s", run.step, val)
    bar.write(f"step {run.step}: " + ", ".join(f"{k} {v:.4f}" for k, v in val.items()))
    if val["psnr"] > run.best:
        run.best = val["psnr"]
        run.save("best.pt")
    return row


def _save(s: _Session, row: dict | None) -> None:
    """Append the log row to ``metrics.csv``; write ``last.pt`` (and ``step_<N>.pt``) when due."""
    run, cfg = s.run, s.cfg
    if row is not None:
        row.update(step=run.step, epoch=f"{run.epoch():.3f}", wall_hours=f"{run.wall / 3600:.4f}")
        _append_csv(run.dir / "metrics.csv", row)
    if run.step % cfg.ckpt_every == 0 or run.step == s.end:
        run.save("last.pt")
    if cfg.keep_every and run.step % cfg.keep_every == 0:
        run.save(f"step_{run.step}.pt")


def _train(cfg: TrainConfig, run_dir: Path, *, resume: bool, device: str | None, progress: bool,
           max_steps: int | None, max_seconds: float | None) -> dict:
    from tqdm.auto import tqdm

    s = _start(cfg, run_dir, resume=resume, device=device, max_steps=max_steps, max_seconds=max_seconds)
    run = s.run
    bar = tqdm(total=s.end, initial=run.step, disable=not (progress and s.main), desc=cfg.name, unit="step")
    try:
        while run.step < s.end:
            loss = _optimise(s)
            _check_time(s, max_seconds)
            s.losses.append(loss.item())
            bar.update(1)
            if s.main:
                _save(s, _validate(s, bar, _log(s, bar)))
    finally:
        bar.close()
        if s.writer is not None:
            s.writer.close()  # flushes what was logged, also when interrupted
    return {"step": run.step, "best_val_psnr": run.best, "last_val": s.last_val, "wall_hours": run.wall / 3600}
