"""Train several models side by side on one borrowed GPU within a fixed wall-clock budget.

A GPU session here is short (tens of minutes) and the machine is handed back at
its end, so every job must finish its learning-rate schedule in time. For each
job (``study/configs/gpu_<job>.yaml``) this script

1. runs a short probe of all jobs at once, for the same wall time (they share
   the GPU, so the probe measures the step time each will really get),
2. sets the first (L1) stage's ``steps`` so that its cosine schedule ends after
   ``1 - l2_fraction`` of the remaining budget and trains it,
3. trains a last L2 stage from that stage's final EMA weights for the rest of
   the budget (``steps`` from the first stage's measured step time); with
   ``--l2-fraction 0`` the first stage is the only one and takes the whole budget.

``mrisr train --max-minutes`` stops either stage early (validated and saved) if
the GPU turns out slower than the probe said. Everything is recorded under
``RUNS``: the run folders (config, command, metrics.csv, TensorBoard events,
checkpoints, log) and ``session.json`` (device, probe step times, chosen steps).

    python study/scripts/gpu_session.py run --runs gpu_runs --budget-minutes 22
    python study/scripts/gpu_session.py run --runs gpu_runs --budget-minutes 22 --l2-fraction 0 \
        --jobs synth_x4,synth_x4_mlp256,synth_x2   # one stage each (study/configs/gpu_synth_*.yaml)
    python study/scripts/gpu_session.py pack --runs gpu_runs --out DIR   # one small .tar per job

``pack`` may run while training goes on: it copies what is on disk, with
checkpoints trimmed for transport (EMA weights only, no optimiser state).
The data root named in the configs must stay in place until the last stage has
started (each stage loads it anew).
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]  # the repository root: runs start there
JOBS = ("x2", "x4", "x4_mlp256", "offdomain")
L2_SETTINGS = ["loss=l2", "optim.lr=2.0e-5", "optim.warmup_steps=50", "optim.min_lr_ratio=0.05",
               "val_every=500"]


def _config(job: str) -> Path:
    return ROOT / "study" / "configs" / f"gpu_{job}.yaml"


def _name(job: str) -> str:
    import yaml

    return yaml.safe_load(_config(job).read_text())["name"]


def _train(job: str, runs: Path, sets: list[str], extra: list[str], log: Path) -> int:
    cmd = [sys.executable, "-m", "mrisr.cli.main", "train", "--config", str(_config(job).relative_to(ROOT)),
           "--runs", str(runs), "--no-progress", *extra]
    for s in sets:
        cmd += ["--set", s]
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "a", encoding="utf-8") as fh:
        fh.write("$ " + " ".join(cmd) + "\n")
        fh.flush()
        return subprocess.call(cmd, cwd=ROOT, stdout=fh, stderr=subprocess.STDOUT)


def _hours_by_step(metrics: Path) -> dict[int, float]:
    with open(metrics, newline="", encoding="utf-8") as fh:
        return {int(r["step"]): float(r["wall_hours"]) for r in csv.DictReader(fh)}


def seconds_per_step(hours: dict[int, float], first: int, last: int) -> float:
    """Mean step time between two logged steps of ``_hours_by_step`` (validation excluded when outside them)."""
    return 3600 * (hours[last] - hours[first]) / (last - first)


def run(args: argparse.Namespace) -> None:
    import torch

    runs = Path(args.runs).resolve()
    runs.mkdir(parents=True, exist_ok=True)
    t0 = time.time()
    deadline = t0 + 60 * args.budget_minutes
    info: dict = {"device": torch.cuda.get_device_name(0) if torch.cuda.is_available() else "cpu",
                  "budget_minutes": args.budget_minutes, "l2_fraction": args.l2_fraction, "jobs": {}}
    sets = list(args.set)

    # 1. probe, all jobs at once and for the same wall time, so that each is measured while all compete
    #    (a probe of a fixed step count let the fastest job finish first and the rest then ran faster than
    #    they would side by side: on 2026-11-26 it under-estimated the shared step time by about 30 %)
    probe_sets = [*sets, "steps=1000000", "val_every=1000000", "ckpt_every=1000000", "log_every=10"]
    threads = [threading.Thread(target=_train, args=(j, runs / "probe", probe_sets,
                                                      ["--max-minutes", f"{args.probe_minutes}"],
                                                      runs / "logs" / f"probe_{j}.log")) for j in args.jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for j in args.jobs:
        hours = _hours_by_step(runs / "probe" / _name(j) / "metrics.csv")
        logged = sorted(hours)
        half = logged[len(logged) // 2]  # the second half: start-up and cuDNN tuning excluded
        spp = seconds_per_step(hours, half, logged[-2])
        info["jobs"][j] = {"probe_s_per_step": spp}
    info["probe_seconds"] = time.time() - t0
    _save(runs, info)

    # 2. + 3. both stages of each job, jobs side by side
    def chain(job: str) -> None:
        rec, name = info["jobs"][job], _name(job)
        left = deadline - time.time() - args.overhead_s
        t1 = left * (1 - args.l2_fraction)
        rec["steps_l1"] = steps = max(50, int(args.margin * t1 / rec["probe_s_per_step"]))
        rc = _train(job, runs, [*sets, f"steps={steps}"], ["--max-minutes", f"{t1 / 60:.2f}"],
                    runs / "logs" / f"{name}.log")
        rec["rc_l1"] = rc
        first = runs / name
        if rc != 0 or not (first / "last.pt").exists() or args.l2_fraction == 0:
            _save(runs, info)
            return
        hours = _hours_by_step(first / "metrics.csv")
        logged = sorted(hours)
        spp = seconds_per_step(hours, logged[0], logged[-1]) if len(logged) > 1 else rec["probe_s_per_step"]
        rec["l1_s_per_step"] = spp
        t2 = deadline - time.time() - args.overhead_s / 2
        rec["steps_l2"] = steps2 = max(50, int(args.margin * t2 / spp))
        rec["rc_l2"] = _train(job, runs, [*sets, *L2_SETTINGS, f"steps={steps2}", f"init={first / 'last.pt'}",
                                          f"name={name}_l2"], ["--max-minutes", f"{t2 / 60:.2f}"],
                              runs / "logs" / f"{name}_l2.log")
        _save(runs, info)

    threads = [threading.Thread(target=chain, args=(j,)) for j in args.jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    info["total_minutes"] = (time.time() - t0) / 60
    info["done"] = True
    _save(runs, info)


def _save(runs: Path, info: dict) -> None:
    tmp = runs / "session.json.tmp"
    tmp.write_text(json.dumps(info, indent=1))
    tmp.replace(runs / "session.json")


def _trimmed(path: Path, out: Path) -> None:
    """``last.pt`` without optimiser state and with the EMA weights as the model (for transport)."""
    from mrisr.models.checkpoint import load_checkpoint, save_checkpoint

    ck = load_checkpoint(path)
    ck["model"] = ck["ema"] if ck.get("ema") else ck["model"]
    ck["ema"] = None
    ck["optimizer"] = None
    ck["trimmed"] = "model = EMA weights; optimiser state dropped"
    save_checkpoint(out, ck)


def pack(args: argparse.Namespace) -> None:
    runs, out = Path(args.runs), Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for job in args.jobs:
        name = _name(job)
        dest = out / f"{job}.tar"
        with tempfile.TemporaryDirectory() as tmp, tarfile.open(dest.with_suffix(".part"), "w") as tar:
            for d in (runs / name, runs / f"{name}_l2"):
                if not d.is_dir():
                    continue
                for f in sorted(d.rglob("*")):
                    if f.is_dir() or f.suffix == ".pt" and f.name != "last.pt":
                        continue
                    src = f
                    if f.name == "last.pt":
                        src = Path(tmp) / f"{d.name}.pt"
                        _trimmed(f, src)
                    tar.add(src, arcname=str(f.relative_to(runs)))
                log = runs / "logs" / f"{d.name}.log"
                if log.exists():
                    tar.add(log, arcname=f"{d.name}/train.log")
            if (runs / "session.json").exists():
                tar.add(runs / "session.json", arcname="session.json")
        dest.with_suffix(".part").replace(dest)
        print(f"{dest}: {dest.stat().st_size / 1e6:.1f} MB")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run", help="probe, then train every job's two stages within the budget")
    r.add_argument("--runs", required=True)
    r.add_argument("--budget-minutes", type=float, required=True, help="wall time for everything, probe included")
    r.add_argument("--jobs", type=lambda s: s.split(","), default=list(JOBS))
    r.add_argument("--l2-fraction", type=float, default=0.25, help="share of the training time for the L2 stage (0: one stage only)")
    r.add_argument("--probe-minutes", type=float, default=1.0)
    r.add_argument("--margin", type=float, default=0.95, help="plan this share of the time as steps")
    r.add_argument("--overhead-s", type=float, default=60, help="reserve for start-up and final validation")
    r.add_argument("--set", action="append", default=[], help="config override for every run (smoke tests)")
    p = sub.add_parser("pack", help="one .tar per job of its run folders, checkpoints trimmed")
    p.add_argument("--runs", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--jobs", type=lambda s: s.split(","), default=list(JOBS))
    args = ap.parse_args()
    (run if args.cmd == "run" else pack)(args)


if __name__ == "__main__":
    main()
