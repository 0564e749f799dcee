"""Ship the through-plane base ``liif-slices`` (the start of ``liif-selfsup``) with its model card.

Exports the weights of a training checkpoint written by ``study/scripts/train_slices_base.py`` to
``src/mrisr/weights/liif_slices.safetensors``, measures it on the held-out IXI train slices (the last
``--holdout`` by name, never trained on) thickened along their rows at 2x, 4x (box and Gaussian) and 6x,
each slice rendered as one through-plane plane, with bicubic and the model it started from side by side,
copies the run's log and metrics to ``study/models/`` (the record), writes the card and updates ``index.json``.
A run that continued the shipped base (``--init liif-slices``) ships as its second stage: the start is measured
before its file is replaced, its record is kept as ``study/models/liif_slices.stage1.*``, and the card lists both
commands, with steps and hours summed.

    python release/ship_slices.py --run /work/runs/slices --data ../shared/data/ixi-t2-midslices
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
WEIGHTS = ROOT / "src" / "mrisr" / "weights"
RECORDS = ROOT / "study" / "models"
STEM = "liif_slices"
#: (factor, profile, thickness in spacings) of the held-out check
CASES = [(2.0, "box", 1.0), (4.0, "box", 1.0), (4.0, "gaussian", 1.0), (6.0, "box", 1.0)]
#: the index's description of the weights (kept from the index when it has one)
DESCRIPTION = ("LIIF + SMAM + EEM over an EDSR-baseline encoder cut to 8 residual blocks, 4 x 128 MLP, residual over "
               "bicubic; the through-plane base: liif-blind trained on IXI train slices thickened along one axis "
               "(factors 1.5-6, box and Gaussian profiles, contrast changes, Rician noise). The start of liif-selfsup.")


def held_out_slices(data: str | Path, holdout: int) -> tuple[np.ndarray, np.ndarray]:
    """(training, held-out) IXI train HR slices in [0, 1]: the held-out ones are the last ``holdout`` by name."""
    from mrisr.data.io import read_image

    files = sorted(Path(data, "train").glob("*.png"))
    imgs = np.stack([read_image(f) for f in files]).astype(np.float32)
    return imgs[:-holdout], imgs[-holdout:]


def plane_scores(spec: str, held: np.ndarray) -> list[float]:
    """Mean PSNR (dB) of ``spec`` on ``held`` thickened along the rows, per case of :data:`CASES`; a LIIF model
    is built as the through-plane path builds its base (:func:`mrisr.volume.selfsup.base_method`)."""
    from mrisr.methods import make_method, method_info
    from mrisr.volume.selfsup import SelfSupConfig, SlicePairs, base_method

    scores = []
    for factor, profile, thickness in CASES:
        pairs = SlicePairs(held, factor, profile, thickness, SelfSupConfig())
        liif = method_info(spec).family == "liif"
        method = base_method(spec, factor) if liif else make_method(spec, scale=factor)
        sr = np.clip(np.asarray(method(pairs.lr, pairs.hr.shape[1:]), dtype=np.float64), 0, 1)
        mse = np.mean((sr - pairs.hr) ** 2, axis=(1, 2))
        scores.append(float(np.mean(10 * np.log10(1 / mse))))
    return scores


def plane_table(specs: list[str], held: np.ndarray) -> str:
    """A Markdown table of :func:`plane_scores` for each spec."""
    lines = ["| model | " + " | ".join(f"x{f:g} {p}" for f, p, _ in CASES) + " |", "|---|" + "---|" * len(CASES)]
    for spec in specs:
        lines.append(f"| {spec} | " + " | ".join(f"{s:.2f}" for s in plane_scores(spec, held)) + " |")
    return "\n".join(lines)


def earlier_stage(init: str) -> dict | None:
    """When a run continued the shipped base (``--init liif-slices``): that base's record (steps, hours, command),
    read before it is replaced."""
    if init != "liif-slices":
        return None
    if (RECORDS / f"{STEM}.stage1.command.txt").exists():  # its files would be renamed over the stage-1 record
        raise SystemExit(f"{RECORDS / STEM}.stage1.* exists: the shipped base is already a second stage; "
                         "shipping a third one is not supported")
    entry = next(e for e in json.loads((WEIGHTS / "index.json").read_text())["weights"] if e["file"] == f"{STEM}.safetensors")
    return {"steps": int(entry["steps"]), "hours": float(entry["hours"]),
            "command": (RECORDS / f"{STEM}.command.txt").read_text().strip()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--run", required=True, help="folder with last.pt, train.log, metrics.csv, command.txt")
    ap.add_argument("--data", required=True)
    ap.add_argument("--holdout", type=int, default=50)
    args = ap.parse_args()

    import torch

    from mrisr.models.checkpoint import export_weights, load_checkpoint
    from mrisr.weights import sha256_of

    run = Path(args.run)
    ck = load_checkpoint(run / "last.pt")
    init = str(ck.get("init", "liif-blind"))
    earlier = earlier_stage(init)
    _, held = held_out_slices(args.data, args.holdout)
    before = plane_table(["bicubic", init], held)  # measured now: the start may be the file replaced below
    hours = float(ck["wall_hours"]) + (earlier["hours"] if earlier else 0.0)
    info = {"steps": int(ck["step"]) + (earlier["steps"] if earlier else 0), "hours": round(hours, 3),
            "run": run.name, "hardware": f"{platform.machine()} CPU, {os.cpu_count()} cores, torch {torch.__version__}"}
    out = WEIGHTS / f"{STEM}.safetensors"
    export_weights(run / "last.pt", out, info=info)
    table = before.replace(f"| {init} |", f"| {init} (the start{', as shipped before' if earlier else ''}) |")
    table += "\n" + plane_table([f"liif:{out}"], held).splitlines()[-1].replace(f"| liif:{out} |",
                                                                                "| liif-slices (these weights) |")
    RECORDS.mkdir(parents=True, exist_ok=True)
    for name in ("train.log", "metrics.csv", "command.txt"):
        if earlier:  # the replaced base's record stays, as stage 1
            (RECORDS / f"{STEM}.{name}").rename(RECORDS / f"{STEM}.stage1.{name}")
        shutil.copyfile(run / name, RECORDS / f"{STEM}.{name}")
    command = (run / "command.txt").read_text().strip()
    if earlier:
        command = f"{earlier['command']}   # stage 1, {earlier['steps']} steps\n{command}   # stage 2, {ck['step']} steps"
    card = (ROOT / "release" / "liif_slices_card.md").read_text().format(
        spec=json.dumps(ck["model_spec"]), sha=sha256_of(out), command=command, table=table,
        holdout=args.holdout, **info)
    (WEIGHTS / f"{STEM}.md").write_text(card)
    idx_path = WEIGHTS / "index.json"
    idx = json.loads(idx_path.read_text())
    old = next((e for e in idx["weights"] if e["file"] == out.name), {})
    idx["weights"] = [e for e in idx["weights"] if e["file"] != out.name]
    idx["weights"].append({
        "file": out.name, "sha256": sha256_of(out), "methods": ["liif-slices"], "scales": [4.0],
        "card": f"{STEM}.md", "default": False, "scale_range": [1.5, 6.0], "trained_on": "slice-profile",
        "description": old.get("description", DESCRIPTION), **info,
    })
    idx_path.write_text(json.dumps(idx, indent=2) + "\n")
    print(table)
    print(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB) and its card")


if __name__ == "__main__":
    main()
