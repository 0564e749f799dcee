"""Turn a finished training run into shipped weights with a model card.

Exports the (EMA) weights of ``RUN/<checkpoint>.pt`` to
``src/mrisr/weights/<stem>.safetensors``, measures them on the val split with
the same code as ``mrisr evaluate`` (bicubic side by side), copies the run's
config, command, metrics CSV and log to ``study/models/`` (the record, not
shipped in the wheel), plots val PSNR against training hours there (CPU or GPU,
``--gpu-runs``), writes the card ``<stem>.md`` beside the weights and updates ``index.json``.

    python release/ship_weights.py --run runs/NAME --stem liif_smam_eem_x2x4 \
        --methods liif-x2,liif-x4 --scales 2,4 --data ../shared/data/ixi-t2-midslices

A run started from another run's weights (``init`` in its config) names that
run with ``--parent`` (repeated for a chain, oldest first): hours and epochs
are then counted from the first ancestor's start, and ``<stem>.curve.csv`` /
``.curve.png`` show all stages.
``--no-default`` keeps the weights out of ``mrisr upscale``'s default choice
(e.g. the off-domain model).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WEIGHTS = ROOT / "src" / "mrisr" / "weights"  # what the package ships: weights, cards, index.json
RECORDS = ROOT / "study" / "models"  # how each was made: config, command, log, curves


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--run", required=True)
    ap.add_argument("--checkpoint", default="best", help="best or last")
    ap.add_argument("--stem", required=True)
    ap.add_argument("--methods", required=True, help="method names served, one per scale")
    ap.add_argument("--scales", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--split", default="val")
    ap.add_argument("--description", default="")
    ap.add_argument("--notes", help="Markdown file whose text goes into the card's Notes section")
    ap.add_argument("--parent", action="append", default=[],
                    help="run folder whose weights initialised this run (counted in hours); repeat for a chain, "
                         "oldest first")
    ap.add_argument("--curve-tags", help="val pairs to plot, e.g. x4,x4_to_x2 (default: x<scale> per scale)")
    ap.add_argument("--gpu-runs", default="",
                    help="comma-separated names of this run and/or parents that trained on a GPU (their hours are "
                         "GPU-hours; the rest are CPU-hours of the machine running this script)")
    ap.add_argument("--gpu", default="GPU", help="what the --gpu-runs ran on, for the card")
    ap.add_argument("--no-default", action="store_true", help="not a default for mrisr upscale")
    ap.add_argument("--scale-range", help="LO,HI: an arbitrary-scale model validated for every scale in between "
                                          "(--scales then name the scales its card measures)")
    ap.add_argument("--trained-on", default="gaussian",
                    help="resampling family of its training LR images, or 'many' for a blind model (default gaussian)")
    args = ap.parse_args()

    import torch

    from mrisr.evaluation import evaluate_split, format_table
    from mrisr.models.checkpoint import export_weights, load_checkpoint
    from mrisr.weights import sha256_of

    run = Path(args.run)
    ck_path = run / f"{args.checkpoint}.pt"
    ck = load_checkpoint(ck_path)
    scales = [float(s) for s in args.scales.split(",")]
    methods = args.methods.split(",")
    gpu_runs = set(filter(None, args.gpu_runs.split(",")))
    stages = _stages(run, [Path(p) for p in args.parent], gpu_runs)
    own = stages[-1]  # offsets of this run = totals of its parent
    cpu = f"{platform.machine()} CPU, {os.cpu_count()} cores, torch {torch.__version__}"
    run_h = float(ck["wall_hours"])
    gpu_h = sum(st["own_hours"] for st in stages if st["device"] == "gpu")
    info = {
        "steps": ck["step"] + own["steps"], "epochs": round(float(ck["epoch"]) + own["epochs"], 2),
        "hours": round(run_h + own["hours"], 3),
        "hardware": cpu if not gpu_runs else
        f"{cpu} ({round(run_h + own['hours'] - gpu_h, 3)} h); {args.gpu} ({round(gpu_h, 3)} h)",
        "run": run.name, "checkpoint": args.checkpoint,
    }
    if gpu_runs:
        info["gpu_hours"] = round(gpu_h, 3)
        info["cpu_hours"] = round(info["hours"] - gpu_h, 3)
    tags = args.curve_tags.split(",") if args.curve_tags else [f"x{s:g}" for s in scales]
    # read once, and refuse unknown val pairs before anything is written
    events = {(i, tag): _val_by_step(st["metrics"].parent, tag) for i, st in enumerate(stages) for tag in tags}
    out = WEIGHTS / f"{args.stem}.safetensors"
    export_weights(ck_path, out, info=info)
    tables, val = [], {}
    for s in scales:
        res = evaluate_split(args.data, args.split, s, ["bicubic", f"liif:{out}"], progress=False)
        tables.append(f"### x{s:g} ({args.split}, {res.meta['images']} images)\n\n```\n{format_table(res)}\n```")
        summ = res.summary()[f"liif:{out}"]
        val[f"x{s:g}"] = {k: round(summ[f"{k}_mean"], 4) for k in ("psnr", "psnr_fg", "ssim", "ssim_g")}
    RECORDS.mkdir(parents=True, exist_ok=True)
    for f in ("config.yaml", "command.txt", "metrics.csv"):
        shutil.copyfile(run / f, RECORDS / f"{args.stem}.{f}")
    log = next((f for f in (run.parent / f"{run.name}.log", run / "train.log") if f.exists()), None)
    if log is not None:
        shutil.copyfile(log, RECORDS / f"{args.stem}.train.log")
    from mrisr.report.figures import learning_curves_figure

    curves = _write_curve_csv(RECORDS / f"{args.stem}.curve.csv", stages, tags, events)
    learning_curves_figure(RECORDS / f"{args.stem}.curve.png", curves)
    lineage = hours_note = ""
    if args.parent:
        chain = " → ".join(f"`{st['run']}`" for st in stages[:-1])
        hours_note = f" (including the {own['hours']:.2f} h of {chain})"
        lineage = (f", counted from the start of {chain} ({own['steps']} steps, {own['hours']:.2f} h), "
                   f"whose weights initialised this run")
    selection = (f"selected on `{args.split}` (highest val PSNR)" if args.checkpoint == "best"
                 else f"the run's final weights, no selection on `{args.split}`")
    rec = f"study/models/{args.stem}"
    scale_range = [float(v) for v in args.scale_range.split(",")] if args.scale_range else None
    served = (f"any scale from {scale_range[0]:g} to {scale_range[1]:g}, measured below at "
              f"{', '.join(f'{s:g}' for s in scales)}" if scale_range else
              f"scales {', '.join(f'{s:g}' for s in scales)}")
    card = f"""# {args.stem}

{args.description}

Serves methods: {', '.join(f'`{m}`' for m in methods)} ({served}).

| | |
|---|---|
| architecture | `{json.dumps(ck['model_spec'])}` |
| data | {_data_text(stages, args.data)}; {selection} |
| steps / epochs | {info['steps']} / {info['epochs']} (epoch = one pass over the training images){lineage} |
| training time | {info['hours']} h wall-clock{hours_note} |
| hardware | {info['hardware']} |
| weights | `{out.name}` (EMA weights of `{args.checkpoint}.pt`), SHA-256 `{sha256_of(out)}` |

## Command

```
{(run / 'command.txt').read_text().strip()}
```

Training record (in the repository's `study/models/`, not in the installed package): config
`{rec}.config.yaml`; per-step log `{rec}.metrics.csv` and `{rec}.train.log`; val PSNR against training hours
(CPU or GPU as the `device` column says): `{rec}.curve.csv` and `{rec}.curve.png`.

## Validation (measured by `release/ship_weights.py` with `mrisr.evaluation`, bicubic side by side)

{chr(10).join(tables)}

{"## Notes" + chr(10) + chr(10) + Path(args.notes).read_text().strip() + chr(10) if args.notes else ""}
## Licence

Trained on IXI (brain-development.org/ixi-dataset), distributed under CC BY-SA 3.0; these weights are a
derivative work shared under the same terms.
"""
    (WEIGHTS / f"{args.stem}.md").write_text(card)
    idx_path = WEIGHTS / "index.json"
    idx = json.loads(idx_path.read_text()) if idx_path.exists() else {"weights": []}
    idx["weights"] = [e for e in idx["weights"] if e["file"] != out.name]
    idx["weights"].append({
        "file": out.name, "sha256": sha256_of(out), "methods": methods,
        # one per method name; an arbitrary-scale model's names take their intensity reference at the first
        "scales": [scales[0]] * len(methods) if scale_range else scales,
        "card": f"{args.stem}.md", "description": args.description, "default": not args.no_default,
        **({"scale_range": scale_range} if scale_range else {}),
        **({"trained_on": None if args.trained_on == "many" else args.trained_on}
           if args.trained_on != "gaussian" else {}),
        "val": val, **info,
    })
    idx_path.write_text(json.dumps(idx, indent=2) + "\n")
    print("\n\n".join(tables))
    print(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB) and its card")


def _stages(run: Path, parents: list[Path], gpu_runs: set[str] = frozenset()) -> list[dict]:
    """The ancestor runs (oldest first) and this run, with their offsets in steps, epochs and hours,
    their own hours and the device they trained on (``gpu`` if named in ``gpu_runs``, else ``cpu``)."""
    from mrisr.models.checkpoint import load_checkpoint

    out, offset = [], {"steps": 0, "epochs": 0.0, "hours": 0.0}
    for r in [*parents, run]:
        ck = load_checkpoint(r / "last.pt")
        cfg = ck.get("config", {})
        out.append({"run": r.name, "metrics": r / "metrics.csv", **offset, "own_hours": float(ck["wall_hours"]),
                    "device": "gpu" if r.name in gpu_runs else "cpu", "data": cfg.get("data", {}),
                    "render": cfg.get("render"), "aux": cfg.get("aux_data"), "aux_every": cfg.get("aux_every", 2)})
        offset = {"steps": offset["steps"] + ck["step"], "epochs": offset["epochs"] + float(ck["epoch"]),
                  "hours": offset["hours"] + float(ck["wall_hours"])}
    return out


def _pairs_text(data: dict, render: dict | None = None) -> str:
    """How one stage made its training pairs (and, with ``render``, its loss), in words."""
    if render:
        op = render.get("operator", {})
        args = ", ".join(f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}" for k, v in op.items() if k != "kind")
        return (f"{_pairs_text(data)}, the loss through the known degradation of a {render.get('factor', 2)}x finer "
                f"rendering ({op.get('kind', '?')}{f': {args}' if args else ''})")
    pairs = ", ".join(f"{a}→{b}" if b != 1 else f"x{a}" for a, b in data.get("pairs", []))
    mode = data.get("mode", "stored")
    if mode == "synthetic":
        s = data["pairs"][0][0]
        kind = (data.get("operator") or {}).get("kind", "?")
        q = {"floor": "truncated to 8 bits", "round": "rounded to 8 bits"}.get(data.get("quantise"), "not quantised")
        src = int(data.get("synthetic_from", 1))
        made = f" made from the x{src} images" if src != 1 else ""
        return f"synthetic {pairs} pairs{made} ({kind} operator, all {s * s} sampling phases, {q})"
    if mode == "on_the_fly" and data.get("prior"):
        return (f"HR degraded on the fly under the `{data['prior']}` prior (a random scale, contrast change and "
                "acquisition per image: `mrisr.data.blind`)")
    if mode == "on_the_fly":
        lo, hi = data.get("scale_range", ("?", "?"))
        return f"HR degraded on the fly ({data.get('degradation')}, scales {lo}-{hi})"
    return f"stored {pairs} LR pairs"


def _ordinal(n: int) -> str:
    """2 -> 'second', 3 -> 'third', 7 -> '7th'."""
    return {2: "second", 3: "third", 4: "fourth"}.get(n, f"{n}th")


def _data_text(stages: list[dict], data_root: str) -> str:
    """The card's data line: split, image count (after any holdout) and how each stage made its pairs."""
    from mrisr.data.datasets import list_images

    last = stages[-1]["data"]
    split = last.get("train_split", "train")
    n = len(list_images(Path(data_root) / split)) - int(last.get("holdout", 0))
    groups: list[tuple[str, list[int]]] = []
    for i, st in enumerate(stages, 1):
        text = _pairs_text(st["data"], st.get("render"))
        if st.get("aux"):
            aux = st["aux"]
            where = f" from `{aux['root']}`" if aux.get("root") not in (None, st["data"].get("root")) else ""
            text += f", and every {_ordinal(st.get('aux_every', 2))} batch {_pairs_text(aux)}{where}"
        if groups and groups[-1][0] == text:
            groups[-1][1].append(i)
        else:
            groups.append((text, [i]))
    if len(groups) == 1:
        return f"IXI T2 mid-slices, `{split}` split ({n} images), {groups[0][0]}"
    parts = [f"{t} (stage{'s' if len(ix) > 1 else ''} {ix[0]}{f'–{ix[-1]}' if len(ix) > 1 else ''})"
             for t, ix in groups]
    return f"IXI T2 mid-slices, `{split}` split ({n} images); " + ", then ".join(parts)


def _val_by_step(run: Path, tag: str) -> dict[int, tuple[float, float]]:
    """``step -> (psnr, ssim)`` of one val pair (e.g. ``x4``) from the run's TensorBoard events.

    ``metrics.csv`` keeps only the first val pair; the events keep all. Events
    written past a checkpoint by a run that was stopped and resumed are
    superseded by the later ones.
    """
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    acc = EventAccumulator(str(run / "tb"), size_guidance={"scalars": 0})
    acc.Reload()
    out: dict[int, list[float]] = {}
    for i, kind in enumerate(("psnr", "ssim")):
        name = f"val/{kind}_{tag}"
        if name not in acc.Tags().get("scalars", []):
            raise SystemExit(f"{run}: no TensorBoard scalar {name!r}")
        for e in sorted(acc.Scalars(name), key=lambda e: e.wall_time):
            out.setdefault(e.step, [math.nan, math.nan])[i] = e.value
    return {k: (v[0], v[1]) for k, v in out.items()}


def _write_curve_csv(path: Path, stages: list[dict], tags: list[str],
                     events: dict[tuple[int, str], dict[int, tuple[float, float]]]) -> list:
    """Val PSNR of each tag against cumulative steps, epochs and training hours; returns the curves to plot.

    Steps, epochs and hours (training and validation time of the run) come
    from each run's ``metrics.csv``, the values of each val pair from its
    TensorBoard events (``events[stage index, tag]``, read by ``_val_by_step``).
    """
    import csv

    import numpy as np

    from mrisr.report.logs import Curve

    curves = []
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["stage", "run", "val_pair", "step", "total_step", "epochs", "hours", "device", "val_psnr", "val_ssim"])
        for i, st in enumerate(stages):
            rows = [r for r in csv.DictReader(open(st["metrics"])) if r["val_psnr"]]
            for tag in tags:
                vals = events[i, tag]
                pts = []
                for r in rows:
                    if int(r["step"]) not in vals:
                        continue
                    p, q = vals[int(r["step"])]
                    ep, h = float(r["epoch"]) + st["epochs"], float(r["wall_hours"]) + st["hours"]
                    w.writerow([i, st["run"], tag, r["step"], int(r["step"]) + st["steps"], f"{ep:.3f}", f"{h:.4f}",
                                st["device"], f"{p:.4f}", f"{q:.5f}"])
                    pts.append((ep, h, p))
                ep, h, p = (np.array(c) for c in zip(*pts, strict=True))
                curves.append(Curve(label=f"{st['run']} ({tag}, {st['device'].upper()})", val_psnr=p, hours=h, epoch=ep, source=str(path)))
    return curves


if __name__ == "__main__":
    main()
