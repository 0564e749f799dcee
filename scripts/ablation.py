"""Train the LIIF / +SMAM / +EEM / +both ablation at one budget and tabulate val results.

    python scripts/ablation.py --config configs/cpu_ablation_x2.yaml --out experiments/ablation_x2 [--runs runs]

Each variant trains from the same config (same seed, data, steps) with only
``model.args.smam`` / ``model.args.eem`` changed; afterwards the script writes
``results.csv``, ``results.md`` and ``curves.png`` (val PSNR vs epoch and hours)
into ``--out``. Variants whose run folder already holds a finished run are not
retrained (delete the folder to redo one).
"""

from __future__ import annotations

import argparse
import csv
import shutil
import subprocess
import sys
from pathlib import Path

VARIANTS = {
    "liif": {"model.args.smam": "null", "model.args.eem": "null"},
    "smam": {"model.args.eem": "null"},
    "eem": {"model.args.smam": "null"},
    "smam+eem": {},
}


def final_row(metrics_csv: Path) -> dict:
    rows = [r for r in csv.DictReader(open(metrics_csv)) if r.get("val_psnr")]
    return rows[-1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--config", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--runs", default="runs")
    ap.add_argument("--set", action="append", default=[], help="extra overrides for every variant")
    ap.add_argument("--notes", help="Markdown file appended to results.md (interpretation)")
    args = ap.parse_args()

    from mrisr.report.figures import learning_curves_figure
    from mrisr.report.logs import read_log
    from mrisr.train import load_train_config

    cfg = load_train_config(args.config, args.set)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    rows, curves = [], []
    for label, over in VARIANTS.items():
        name = f"{cfg.name}_{label.replace('+', '_')}"
        run = Path(args.runs) / name
        sets = [f"{k}={v}" for k, v in over.items()] + args.set
        cmd = [sys.executable, "-m", "mrisr.cli.main", "train", "--config", args.config, "--name", name,
               "--runs", args.runs, "--no-progress"] + [a for s in sets for a in ("--set", s)]
        done = (run / "metrics.csv").exists() and int(final_row(run / "metrics.csv")["step"]) >= cfg.steps
        if not done:
            if (run / "last.pt").exists():
                cmd.append("--resume")
            print(" ".join(cmd), flush=True)
            subprocess.run(cmd, check=True)
        last = final_row(run / "metrics.csv")
        best = max(float(r["val_psnr"]) for r in csv.DictReader(open(run / "metrics.csv")) if r.get("val_psnr"))
        rows.append({"variant": label, "steps": last["step"], "epochs": last["epoch"], "hours": last["wall_hours"],
                     "val_psnr_final": f"{float(last['val_psnr']):.3f}", "val_ssim_final": f"{float(last['val_ssim']):.4f}",
                     "val_psnr_best": f"{best:.3f}", "command": " ".join(cmd[3:])})
        curves.append(read_log(f"{label}={run / 'metrics.csv'}"))
        shutil.copyfile(run / "metrics.csv", out / f"{label.replace('+', '_')}.metrics.csv")
    with open(out / "results.csv", "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    learning_curves_figure(out / "curves.png", curves)
    lines = [f"# Ablation: {cfg.name} (pairs {[list(p) for p in cfg.data.pairs]}, {cfg.steps} steps each, seed {cfg.seed})",
             "", "Val split, whole-image PSNR (dB) / SSIM (7x7), EMA weights, measured by the training validator.", "",
             "| variant | steps | epochs | hours | final PSNR | final SSIM | best PSNR |", "|---|---|---|---|---|---|---|"]
    lines += [f"| {r['variant']} | {r['steps']} | {r['epochs']} | {r['hours']} | {r['val_psnr_final']} | "
              f"{r['val_ssim_final']} | {r['val_psnr_best']} |" for r in rows]
    lines += ["", "Commands:", "", "```", *[f"mrisr {r['command']}" for r in rows], "```", "", "![curves](curves.png)"]
    if args.notes:
        lines += ["", Path(args.notes).read_text().strip()]
    (out / "results.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
