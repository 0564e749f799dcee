"""Output ensembles and weight averages ("soups") of 4x models on the val split.

Run from the repository root with the IXI data beside it:

    python study/experiments/ensembles/compare.py > study/experiments/ensembles/results.txt

Output ensemble: the pixel-wise mean of several models' outputs
(``mrisr.models.method.EnsembleMethod``). Soup: one model whose weights are
the mean of several checkpoints' (EMA) weights; only meaningful for models of
one lineage (same architecture, a shared ancestor).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np
import torch

from mrisr.data.datasets import open_split
from mrisr.evaluation.runner import evaluate_pairs
from mrisr.methods import make_method
from mrisr.models.checkpoint import load_checkpoint, save_checkpoint
from mrisr.models.method import EnsembleMethod

DATA = Path("../shared/data/ixi-t2-midslices")
C = Path("checkpoints")
ALT = "liif:" + str(C / "cpu_liif_smam_eem_x4_from_offdomain/last.pt")
OFF = [C / f"cpu_liif_smam_eem_offdomain_distill{i}/last.pt" for i in (7, 8, 9, 10, 11)]
X4 = [C / "cpu_liif_smam_eem_x4_synth2/last.pt", C / "gpu_liif_smam_eem_x4_synth/last.pt",
      C / "gpu_liif_smam_eem_x4_synth2/last.pt"]


def soup(paths: list[Path], out: Path) -> str:
    """Write the mean of the checkpoints' EMA weights as a checkpoint; return its method spec."""
    acc, spec = None, None
    for p in paths:
        ck = load_checkpoint(p)
        state = ck.get("ema") or ck["model"]
        if spec is None:
            spec, acc = ck["model_spec"], {k: v.double() for k, v in state.items()}
        else:
            if ck["model_spec"] != spec:
                raise ValueError(f"{p}: another architecture")
            for k, v in state.items():
                acc[k] += v.double()
    save_checkpoint(out, {"model_spec": spec, "model": {k: (v / len(paths)).float() for k, v in acc.items()}})
    return f"liif:{out}"


def measure(label: str, specs: list[str], pairs) -> None:
    method = EnsembleMethod([make_method(s, scale=4) for s in specs], name=label)
    res = evaluate_pairs(pairs, {label: method}, 4, progress=False)
    psnr, ssim = res.values(label, "psnr"), res.values(label, "ssim")
    print(f"{label:<58} {np.mean(psnr):8.4f} {np.mean(ssim):7.4f}   " + " ".join(f"{v:6.3f}" for v in psnr))
    sys.stdout.flush()


def main() -> None:
    torch.set_num_threads(2)
    pairs = open_split(DATA, "val", 4)
    print(f"val, 4x (stored LR), {len(pairs)} images; PSNR dB, SSIM (7x7 uniform), then PSNR per image\n")
    print("output ensembles (mean of outputs)")
    for label, specs in [
        ("liif-x4", ["liif-x4"]),
        ("liif-x4-alt", [ALT]),
        ("liif-offdomain-x4", ["liif-offdomain-x4"]),
        ("liif-x4-mlp256", ["liif-x4-mlp256"]),
        ("liif-x4 + liif-x4-alt", ["liif-x4", ALT]),
        ("liif-x4 + liif-offdomain-x4", ["liif-x4", "liif-offdomain-x4"]),
        ("liif-x4 + liif-x4-mlp256 (one lineage)", ["liif-x4", "liif-x4-mlp256"]),
        ("liif-x4 + liif-x4-mlp256 + liif-x4-alt", ["liif-x4", "liif-x4-mlp256", ALT]),
    ]:
        measure(label, specs, pairs)
    print("\nweight averages (soups) along one lineage")
    with tempfile.TemporaryDirectory() as tmp:
        for label, paths in [
            ("off-domain stage 11 alone", OFF[-1:]),
            ("off-domain stages 10-11", OFF[-2:]),
            ("off-domain stages 9-11", OFF[-3:]),
            ("off-domain stages 7-11", OFF),
            ("liif-x4 (gpu synth2) alone", X4[-1:]),
            ("liif-x4 + its previous stage (gpu synth)", X4[-2:]),
            ("liif-x4 + the CPU stage two before (cpu synth2)", [X4[0], X4[2]]),
        ]:
            measure(label, [soup(paths, Path(tmp) / f"{len(paths)}_{abs(hash(label))}.pt")], pairs)


if __name__ == "__main__":
    main()
