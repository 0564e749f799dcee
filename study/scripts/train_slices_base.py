"""Train the through-plane base model (``liif-slices``) on IXI train slices thickened along one axis.

``liif-selfsup`` fine-tunes a LIIF model on a thick-slice volume's own in-plane slices, thickened along one
axis with the slice profile. Starting from an in-plane model it needed 500 steps (issue 27: 6-11 minutes on
2 cores). This script makes a start that already knows the through-plane degradation: ``liif-blind`` trained
on the IXI train HR slices, each batch thickened along one axis (``mrisr.volume.selfsup.SlicePairs``, the
pairs the per-volume fine-tune uses) at a random factor (1.5-6), slice profile (box or Gaussian), thickness
(0.75-1.25 spacings, gaps to overlap), contrast (identity, monotone or non-monotone remap, gamma; T2 standing
in for other contrasts) and noise (none, or Rician). The last ``--holdout`` train images (by name) are not
trained on; ``--check`` measures a model on them (each slice thickened along its rows, rendered as one plane).

    python study/scripts/train_slices_base.py --data ../shared/data/ixi-t2-midslices --out /work/runs/slices \
        --steps 4000
    python study/scripts/train_slices_base.py --data ../shared/data/ixi-t2-midslices --check liif-blind \
        --check liif-x2 --check liif-x4 --check liif:/work/runs/slices/last.pt

Writes ``OUT/last.pt`` (an mrisr checkpoint, every 250 steps), ``OUT/train.log`` and ``OUT/metrics.csv``.
"""

from __future__ import annotations

import argparse
import copy
import csv
import math
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

from mrisr.data.degrade import apply_same_grid, parse_same_grid
from mrisr.models import make_model
from mrisr.models.checkpoint import save_checkpoint
from mrisr.volume.selfsup import SelfSupConfig, SlicePairs, base_method, l1_step

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "release"))
from ship_slices import held_out_slices, plane_table  # noqa: E402  (release tooling, not a package)

FACTORS = (1.5, 2.0, 2.0, 2.5, 3.0, 3.0, 4.0, 4.0, 5.0, 6.0, 6.0)
CONTRASTS = ("", "", "", "remap:monotone", "remap:nonmonotone", "gamma:0.6", "gamma:1.6")


def draw_pairs(hr: np.ndarray, rng: np.random.Generator, cfg: SelfSupConfig) -> tuple[SlicePairs, str]:
    """One pool member: the slices under one random contrast, thickened at one random factor and profile."""
    factor = float(FACTORS[int(rng.integers(len(FACTORS)))])
    profile = "gaussian" if rng.random() < 0.3 else "box"
    thickness = float(rng.uniform(0.75, 1.25))
    spec = CONTRASTS[int(rng.integers(len(CONTRASTS)))]
    steps = parse_same_grid(spec)
    x = np.stack([np.clip(apply_same_grid(s, steps, rng), 0, 1) for s in hr]).astype(np.float32) if steps else hr
    pairs = SlicePairs(x, factor, profile, thickness, replace(cfg, seed=int(rng.integers(2**31))))
    noise = 0.0
    if rng.random() < 0.3:
        noise = float(np.exp(rng.uniform(np.log(0.005), np.log(0.03))))
        n1, n2 = (rng.normal(0, noise, pairs.lr.shape).astype(np.float32) for _ in range(2))
        pairs.lr = np.sqrt((pairs.lr + n1) ** 2 + n2**2)
    return pairs, f"x{factor:g} {profile} {thickness:.2f} contrast={spec or 'none'} rician={noise:.3f}"


def truncate(model, spec: dict, blocks: int):
    """The model with its encoder cut to the first ``blocks`` residual blocks (then its body convolution)."""
    spec = copy.deepcopy(spec)
    enc = spec["args"].setdefault("encoder", {"name": "edsr-baseline", "args": {}})
    old = int(enc.setdefault("args", {}).get("n_resblocks", 16))
    enc["args"]["n_resblocks"] = blocks
    small = make_model(spec)
    state = {}
    for k, v in model.state_dict().items():
        if k.startswith("encoder.body."):
            i, rest = k[len("encoder.body."):].split(".", 1)
            if int(i) == old:  # the body convolution after the blocks
                k = f"encoder.body.{blocks}.{rest}"
            elif int(i) >= blocks:
                continue
        state[k] = v
    small.load_state_dict(state)
    return small, spec


def train(args) -> None:
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    log = open(out / "train.log", "a")
    hr, _ = held_out_slices(Path(args.data), args.holdout)
    rng = np.random.default_rng(args.seed)
    torch.manual_seed(args.seed)
    cfg = SelfSupConfig(crops=args.crops, patch=args.patch, queries=args.queries)
    method = base_method(args.init, 4.0)
    model = method.model.to(memory_format=torch.contiguous_format)
    spec = method.info["model_spec"]
    if args.resblocks:
        model, spec = truncate(model, spec, args.resblocks)
    model.train()
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / 50) * (0.01 + 0.99 * 0.5 * (1 + math.cos(math.pi * s / args.steps))))
    pool: list[tuple[SlicePairs, str]] = []
    t0 = time.perf_counter()
    rows, losses = [], []
    for step in range(1, args.steps + 1):
        if len(pool) < args.pool or step % args.refresh == 0:
            member = draw_pairs(hr, rng, cfg)
            pool = (pool + [member])[-args.pool:]
            print(f"step {step}: pool += {member[1]}", file=log, flush=True)
        pairs, _ = pool[int(rng.integers(len(pool)))]
        losses.append(l1_step(model, opt, sched, pairs.batch()))
        if step % 50 == 0:
            hours = (time.perf_counter() - t0) / 3600
            rows.append({"step": step, "loss": float(np.mean(losses[-50:])), "lr": sched.get_last_lr()[0],
                         "hours": round(hours, 4)})
            print(f"step {step} loss {rows[-1]['loss']:.5f} lr {rows[-1]['lr']:.2e} {hours * 60:.1f} min",
                  file=log, flush=True)
        if step % 250 == 0 or step == args.steps:
            save_checkpoint(out / "last.pt", {
                "model_spec": spec, "model": model.state_dict(), "step": step,
                "wall_hours": (time.perf_counter() - t0) / 3600, "init": args.init, "args": vars(args)})
            with open(out / "metrics.csv", "w", newline="") as fh:
                w = csv.DictWriter(fh, fieldnames=list(rows[0]))
                w.writeheader()
                w.writerows(rows)


def check(args) -> None:
    """PSNR of each model on the held-out train slices thickened along their rows (one plane each)."""
    _, held = held_out_slices(Path(args.data), args.holdout)
    print(plane_table(args.check, held), flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True)
    ap.add_argument("--out")
    ap.add_argument("--init", default="liif-blind")
    ap.add_argument("--steps", type=int, default=4000)
    ap.add_argument("--lr", type=float, default=2e-4)
    ap.add_argument("--crops", type=int, default=8)
    ap.add_argument("--patch", type=int, default=64)
    ap.add_argument("--queries", type=int, default=2048)
    ap.add_argument("--pool", type=int, default=8, help="pool members (factor, profile, contrast) held at once")
    ap.add_argument("--refresh", type=int, default=25, help="steps between drawing a new pool member")
    ap.add_argument("--holdout", type=int, default=50)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--resblocks", type=int, help="cut the encoder to its first N residual blocks (faster rendering)")
    ap.add_argument("--check", action="append", help="model spec to measure on the held-out slices")
    args = ap.parse_args()
    if args.check:
        check(args)
    else:
        train(args)


if __name__ == "__main__":
    main()
