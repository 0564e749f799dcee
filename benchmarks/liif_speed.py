"""LIIF inference speed and memory, mrisr vs the reference algorithm, side by side.

Reference: the computation pattern of the original LIIF implementation (Chen et
al., CVPR 2021; github.com/yinboc/liif) re-expressed here: RGB (3-channel)
input, 3x3 feature unfolding materialised for every query, each of the 4 local
ensemble members decoded by its own pass of the full MLP, queries in batches of
30,000 as its test script does. mrisr: 1 channel, the MLP's first layer folded
into a 3x3 convolution evaluated once per latent pixel, the 4 ensemble members
batched, the encoder in channels-last layout on a CPU (``prefer_layout``). Same EDSR-baseline encoder (16 blocks, 64
features) and a 4 x 128 MLP in both.

Each case runs in a fresh subprocess so its peak memory is its own. On a CPU: best of ``--repeats`` and the
peak RSS. On a GPU (``--device cuda``, or ``auto`` where PyTorch sees one): after one warm-up call, the median of
``--repeats`` calls (10 is the issue's protocol), each synchronised, and the peak of
``torch.cuda.max_memory_allocated``; ``--batch 1,16`` times one image and batches (the training throughput part
runs on a CPU only). ``--chunk 8192,65536`` adds an mrisr row per query chunk (default: the model's), to choose a
device's chunk. Usage::

    python benchmarks/liif_speed.py [--repeats 3] [--threads 2] [--train-steps 5] [--train-configs ...]
    python benchmarks/liif_speed.py --device cuda --repeats 10 --batch 1,16 --train-steps 0 [--chunk 8192,65536]

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


def _timed(fn, repeats: int, device) -> list[float]:
    """Seconds of ``repeats`` calls of ``fn``; on a GPU after one warm-up call, each call synchronised."""
    import torch

    gpu = device.type == "cuda"
    if gpu:
        fn()
    times = []
    for _ in range(repeats):
        if gpu:
            torch.cuda.synchronize(device)
        t0 = time.perf_counter()
        fn()
        if gpu:
            torch.cuda.synchronize(device)
        times.append(time.perf_counter() - t0)
    return times


def run_case(kind: str, n_in: int, n_out: int, repeats: int, threads: int, device: str = "cpu",
             batch: int = 1, chunk: int | None = None) -> dict:
    import statistics

    import torch

    from mrisr.devices import parse_device
    from mrisr.models import make_model
    from mrisr.models.coords import make_cell, make_coord
    from mrisr.models.liif import MLP, prefer_layout
    from mrisr.models.reference import plain_liif_decode

    dev = parse_device(device)
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    with torch.inference_mode():
        if kind == "mrisr":
            model = make_model({"name": "liif", "args": {"mlp_hidden": [128] * 4}}).eval().to(dev)
            model = prefer_layout(model, dev)
            x = torch.rand(batch, 1, n_in, n_in, device=dev)
            times = _timed(lambda: model.upscale(x, (n_out, n_out), chunk=chunk), repeats, dev)
        else:
            enc = make_model({"name": "edsr-baseline", "args": {"in_channels": 3}}).eval().to(dev)
            mlp = MLP(64 * 9 + 4, 3, [128] * 4).eval().to(dev)
            x = torch.rand(batch, 3, n_in, n_in, device=dev)
            coord = make_coord((n_out, n_out), device=dev)[None].expand(batch, -1, -1)
            cell = make_cell((n_out, n_out), coord.shape[1], device=dev)[None].expand(batch, -1, -1)
            times = _timed(lambda: plain_liif_decode(mlp, enc((x - 0.5) / 0.5), coord, cell, bsize=30000), repeats,
                           dev)
    impl = kind if chunk is None else f"{kind} c={chunk}"
    if dev.type == "cuda":
        return {"impl": impl, "batch": batch, "seconds": statistics.median(times),
                "peak_mb": torch.cuda.max_memory_allocated(dev) / 2**20}
    return {"impl": impl, "batch": batch, "seconds": min(times),
            "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


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


def torch_device_name(dev) -> str:
    import torch

    return torch.cuda.get_device_name(dev) if dev.type == "cuda" else str(dev)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--train-configs", nargs="*", default=["configs/cpu_liif_smam_eem_x2x4.yaml"])
    ap.add_argument("--train-steps", type=int, default=5)
    ap.add_argument("--device", default="cpu", help="cpu, cuda, cuda:N or auto (inference only)")
    ap.add_argument("--batch", default="1", help="comma-separated batch sizes (images per call)")
    ap.add_argument("--chunk", help="comma-separated query chunks: one mrisr row each (default: the model's)")
    ap.add_argument("--case", help=argparse.SUPPRESS)
    ap.add_argument("--csv", help="also write the inference table as CSV")
    args = ap.parse_args()
    batches = [int(b) for b in args.batch.split(",")]
    if args.case:  # child process
        kind, name, batch, chunk = args.case.split(":")
        _, n_in, n_out = next(c for c in CASES if c[0] == name)
        print(json.dumps(run_case(kind, n_in, n_out, args.repeats, args.threads, args.device, int(batch),
                                  int(chunk) if chunk else None)))
        return
    from mrisr.devices import parse_device

    dev = parse_device(args.device)
    runs = [("reference", "")] + [("mrisr", c) for c in (args.chunk.split(",") if args.chunk else [""])]
    rows = []
    for name, _, _ in CASES:
        for batch in batches:
            for kind, chunk in runs:
                out = subprocess.run(
                    [sys.executable, __file__, "--case", f"{kind}:{name}:{batch}:{chunk}", "--repeats", str(args.repeats),
                     "--threads", str(args.threads), "--device", str(dev)], capture_output=True, text=True, check=True,
                )
                rows.append({"case": name, **json.loads(out.stdout.strip().splitlines()[-1])})
                print(json.dumps(rows[-1]), file=sys.stderr, flush=True)  # progress, and a record if cut short
    gpu = dev.type == "cuda"
    what = (f"{torch_device_name(dev)}, median of {args.repeats} after a warm-up, synchronised" if gpu
            else f"CPU, {args.threads} threads, best of {args.repeats}")
    print(f"LIIF inference, EDSR-baseline + 4x128 MLP, {what}")
    print(f"{'case':<10} {'batch':>5} {'impl':<16} {'seconds':>9} {'peak GPU MiB' if gpu else 'peak RSS MB':>12} "
          f"{'speed-up':>9}")
    for name, _, _ in CASES:
        for batch in batches:
            pair = [r for r in rows if r["case"] == name and r["batch"] == batch]
            ref = next(r for r in pair if r["impl"] == "reference")
            for r in pair:
                sp = ref["seconds"] / r["seconds"]
                print(f"{name:<10} {batch:>5} {r['impl']:<16} {r['seconds']:>9.4f} {r['peak_mb']:>12.0f} {sp:>8.2f}x")
    if args.csv:
        import csv

        with open(args.csv, "w", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=["case", "batch", "impl", "seconds", "peak_mb"])
            w.writeheader()
            w.writerows(rows)
    if args.train_steps and not gpu:
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
