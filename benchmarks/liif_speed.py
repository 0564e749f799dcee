"""LIIF inference speed and memory, mrisr vs the reference algorithm, side by side.

Reference: the computation pattern of the original LIIF implementation (Chen et
al., CVPR 2021; github.com/yinboc/liif) re-expressed here: RGB (3-channel)
input, 3x3 feature unfolding materialised for every query, each of the 4 local
ensemble members decoded by its own pass of the full MLP, queries in batches of
30,000 as its test script does. mrisr: 1 channel, the MLP's first layer folded
into a 3x3 convolution evaluated once per latent pixel, the 4 ensemble members
batched, the encoder in channels-last layout on a CPU (``prefer_layout``). Same EDSR-baseline encoder (16 blocks, 64
features) and a 4 x 128 MLP in both.

Each case runs in a fresh subprocess so its peak RSS is its own. Usage::

    python benchmarks/liif_speed.py [--repeats 3] [--threads 2] [--train-steps 5] [--train-configs ...]

Prints a table; ``--csv`` writes it too.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time

CASES = [("128->256", 128, 256), ("64->256", 64, 256), ("256->1024", 256, 1024)]


def run_case(kind: str, n_in: int, n_out: int, repeats: int, threads: int) -> dict:
    import torch

    from mrisr.models import make_model
    from mrisr.models.coords import make_cell, make_coord
    from mrisr.models.liif import MLP, prefer_layout
    from mrisr.models.reference import plain_liif_decode

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    times = []
    with torch.inference_mode():
        if kind == "mrisr":
            model = prefer_layout(make_model({"name": "liif", "args": {"mlp_hidden": [128] * 4}}).eval(), "cpu")
            x = torch.rand(1, 1, n_in, n_in)
            for _ in range(repeats):
                t0 = time.perf_counter()
                model.upscale(x, (n_out, n_out))
                times.append(time.perf_counter() - t0)
        else:
            enc = make_model({"name": "edsr-baseline", "args": {"in_channels": 3}}).eval()
            mlp = MLP(64 * 9 + 4, 3, [128] * 4).eval()
            x = torch.rand(1, 3, n_in, n_in)
            coord = make_coord((n_out, n_out))[None]
            cell = make_cell((n_out, n_out), coord.shape[1])[None]
            for _ in range(repeats):
                t0 = time.perf_counter()
                plain_liif_decode(mlp, enc((x - 0.5) / 0.5), coord, cell, bsize=30000)
                times.append(time.perf_counter() - t0)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"impl": kind, "seconds": min(times), "peak_rss_mb": peak_mb}


def run_train(config: str, steps: int, threads: int, bf16: bool) -> dict:
    import tempfile
    from pathlib import Path

    import torch

    from mrisr.train import load_train_config
    from mrisr.train.data import PatchSampler
    from mrisr.train.loop import Run

    torch.set_num_threads(threads)
    cfg = load_train_config(config)
    sampler = PatchSampler(cfg.data, seed=0)
    run = Run(cfg, Path(tempfile.mkdtemp()), torch.device("cpu"))
    times = []
    for step in range(steps + 1):
        batch = sampler.sample(step, cfg.batch_size, cfg.data.lr_patch)
        t0 = time.perf_counter()
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):  # as the loop does with cpu_bf16
            loss = (run.model(batch.lr, batch.coord, batch.cell).float() - batch.gt).abs().mean()
        run.opt.zero_grad()
        loss.backward()
        run.opt.step()
        if step:  # the first step warms up allocators
            times.append(time.perf_counter() - t0)
    s = sum(times) / len(times)
    return {"config": config, "precision": "bfloat16" if bf16 else "float32", "s_per_step": s, "samples_per_s": cfg.batch_size / s,
            "lr_patch": cfg.data.lr_patch, "batch": cfg.batch_size}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--train-configs", nargs="*", default=["configs/cpu_liif_smam_eem_x2x4.yaml"])
    ap.add_argument("--train-steps", type=int, default=5)
    ap.add_argument("--case", help=argparse.SUPPRESS)
    ap.add_argument("--csv", help="also write the inference table as CSV")
    args = ap.parse_args()
    if args.case:  # child process
        kind, name = args.case.split(":")
        _, n_in, n_out = next(c for c in CASES if c[0] == name)
        print(json.dumps(run_case(kind, n_in, n_out, args.repeats, args.threads)))
        return
    rows = []
    for name, _, _ in CASES:
        for kind in ("reference", "mrisr"):
            out = subprocess.run(
                [sys.executable, __file__, "--case", f"{kind}:{name}", "--repeats", str(args.repeats),
                 "--threads", str(args.threads)], capture_output=True, text=True, check=True,
            )
            rows.append({"case": name, **json.loads(out.stdout.strip().splitlines()[-1])})
    print(f"LIIF inference, EDSR-baseline + 4x128 MLP, CPU, {args.threads} threads, best of {args.repeats}")
    print(f"{'case':<10} {'impl':<10} {'seconds':>9} {'peak RSS MB':>12} {'speed-up':>9}")
    for name, _, _ in CASES:
        ref = next(r for r in rows if r["case"] == name and r["impl"] == "reference")
        for r in (r for r in rows if r["case"] == name):
            sp = ref["seconds"] / r["seconds"]
            print(f"{name:<10} {r['impl']:<10} {r['seconds']:>9.3f} {r['peak_rss_mb']:>12.0f} {sp:>8.2f}x")
    if args.csv:
        import csv

        with open(args.csv, "w", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=["case", "impl", "seconds", "peak_rss_mb"])
            w.writeheader()
            w.writerows(rows)
    if args.train_steps:
        print(f"\nTraining throughput ({args.train_steps} steps after one warm-up, {args.threads} threads; "
              "reference: float32, bfloat16 = CPU autocast as with cpu_bf16: true)")
        print(f"{'config':<45} {'precision':<9} {'patch':>5} {'batch':>5} {'s/step':>8} {'samples/s':>10} {'speed-up':>9}")
        for cfg in args.train_configs:
            ref = None
            for bf16 in (False, True):
                t = run_train(cfg, args.train_steps, args.threads, bf16)
                ref = ref or t["s_per_step"]
                print(f"{cfg:<45} {t['precision']:<9} {t['lr_patch']:>5} {t['batch']:>5} {t['s_per_step']:>8.3f} "
                      f"{t['samples_per_s']:>10.2f} {ref / t['s_per_step']:>8.2f}x")


if __name__ == "__main__":
    main()
