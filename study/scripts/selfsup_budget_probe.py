"""How much per-volume fine-tuning does ``liif-selfsup`` need? A stand-in measured on IXI alone.

Issue 27 asks for a head volume's through-plane SR in 90 s or less on 2 cores; the per-volume fine-tune is
about half of it. Which cheaper budget (fewer crops per step, fewer steps) loses least is chosen here, never on
the MNI152 template (part of the owner's other-contrast check). The stand-in "volume": the 50 IXI train slices
that ``liif-slices`` never trained on plus the 6 val slices, all under one random non-monotone intensity remap
(another contrast, one per volume). The first 40 are the volume's in-plane slices (fine-tuned on exactly as
``fit_through_plane_model`` does, every 10th validating); the other 16 are thickened along their rows and along
their columns with the slice profile and rendered back (PSNR against the remapped slice).

"Today" is the package's defaults at the checkout that runs the probe. The records made before 0.8.0
(``budget.md``, ``budget2.md``, ``blocks8.md``, ``blocks8b.md``) ran at commit 4e68623 or earlier, where they were the
16-block base, 50 steps per unit of factor and a validation every 25 steps; run those commands from that commit.
``queries.md`` ran at faf3bdb (0.8.0): its "defaults (today)" rows are 0.8.0's (2,048 queries at every factor).

    python study/scripts/selfsup_budget_probe.py --data ../shared/data/ixi-t2-midslices \
        --out study/experiments/through_plane/budget.md
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import NamedTuple

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "release"))
from ship_slices import held_out_slices  # noqa: E402  (release tooling, not a package)


class Budget(NamedTuple):
    """A fine-tuning budget: crops per step, steps per unit of factor (``None``: the package's defaults for all
    but ``crops``), Adam's learning rate, and how validation stops it: every ``check_per`` times the factor steps
    (``None``: every 25 steps, the rule until 0.8.0), or never (``stop=False``: patience beyond the budget; the
    best-validated weights are still kept); ``queries_per``: HR queries per crop are that over the factor (the same
    queries per LR pixel at every factor; ``None``: 2,048 at every factor, the rule through 0.8.0)."""

    crops: int
    per: float | None
    lr: float = 2e-4
    check_per: float | None = None
    stop: bool = True
    queries_per: float | None = None

    def params(self, factor: float) -> dict:
        """The ``SelfSupConfig`` fields of this budget at ``factor``."""
        if self.per is None:
            return {"crops": self.crops}
        out = {"crops": self.crops, "steps": int(self.per * factor), "lr": self.lr, "check_every": 25, "queries": 2048}
        if self.check_per is not None:
            out["check_every"] = max(1, int(round(self.check_per * factor)))
        if not self.stop:
            out["patience"] = out["steps"] + 1
        if self.queries_per is not None:
            out["queries"] = max(1, int(round(self.queries_per / factor)))
        return out


BUDGETS = {"base (no fit)": Budget(8, 0), "defaults (today)": Budget(8, None), "6 crops x 50f": Budget(6, 50),
           "4 crops x 50f": Budget(4, 50), "8 crops x 25f": Budget(8, 25), "4 crops x 100f": Budget(4, 100),
           "8 crops x 25f, lr 3e-4": Budget(8, 25, 3e-4), "8 crops x 25f, lr 4e-4": Budget(8, 25, 4e-4),
           "8 crops x 35f, lr 3e-4": Budget(8, 35, 3e-4),
           "8 crops x 40f": Budget(8, 40), "8 crops x 40f, lr 2.5e-4": Budget(8, 40, 2.5e-4),
           "8 crops x 50f": Budget(8, 50), "8 crops x 75f": Budget(8, 75),
           "8 crops x 60f, checks 12.5f": Budget(8, 60, check_per=12.5),
           "8 crops x 75f, checks 12.5f": Budget(8, 75, check_per=12.5),
           "8 crops x 75f, no stop": Budget(8, 75, stop=False),
           "8 crops x 75f, checks 12.5f, 4096/f queries": Budget(8, 75, check_per=12.5, queries_per=4096)}
#: what ``--budgets`` runs by default (the first probe's rows)
FIRST = "base (no fit);6 crops x 50f;4 crops x 50f;8 crops x 25f;4 crops x 100f"


def volumes(data: str, n: int) -> list[np.ndarray]:
    """``n`` stand-in volumes: the held-out slices under ``n`` remaps (seeds 0..n-1)."""
    from mrisr.data.corrupt import RemapConfig, remap_image
    from mrisr.data.io import read_image

    _, held = held_out_slices(data, 50)
    val = np.stack([read_image(f) for f in sorted(Path(data, "val").glob("*.png"))])
    slices = np.concatenate([held, val]).astype(np.float32)
    return [remap_image(slices, RemapConfig(kind="nonmonotone"), np.random.default_rng(s)).astype(np.float32)
            for s in range(n)]


def score(method, test: np.ndarray, factor: float) -> float:
    """Mean PSNR over ``test`` thickened along rows and along columns (box profile, 1 spacing)."""
    from mrisr.volume.selfsup import SelfSupConfig, SlicePairs

    out = []
    for stack in (test, np.swapaxes(test, 1, 2)):
        pairs = SlicePairs(np.ascontiguousarray(stack), factor, "box", 1.0, SelfSupConfig())
        sr = np.clip(np.asarray(method(pairs.lr, pairs.hr.shape[1:]), dtype=np.float64), 0, 1)
        out += list(10 * np.log10(1 / np.mean((sr - pairs.hr) ** 2, axis=(1, 2))))
    return float(np.mean(out))


def table(rows: list[dict], names: list[str], command: str) -> str:
    """The markdown report of ``rows``: per factor and budget, mean fit time, the steps run (the range over volumes:
    validation may stop a fit early, which a mean hides), mean PSNR, and the difference to today's budget on the same
    volume (mean, and the range over volumes)."""
    vols = sorted({r["volume"] for r in rows})
    bases = sorted({r["base"] for r in rows if r.get("base")})
    start = [f"Every budget but today's starts from `{b}`." for b in bases] + [""] * bool(bases)
    lines = [f"# liif-selfsup fine-tuning budget, IXI stand-in ({len(vols)} remapped volumes)", "", f"`{command}`", "",
             *start,
             "| factor | budget | fit s (mean) | steps | PSNR (mean of volumes) | vs today | vs today, per volume |",
             "|---|---|---|---|---|---|---|"]
    for factor in sorted({r["factor"] for r in rows}):
        at = {(r["budget"], r["volume"]): r for r in rows if r["factor"] == factor}
        today = next(n for n in names if n.endswith("(today)"))
        for name in names:
            sel = [at[name, v] for v in vols if (name, v) in at]
            diff = [at[name, v]["psnr"] - at[today, v]["psnr"] for v in vols if (name, v) in at and (today, v) in at]
            steps = sorted({r["stopped_at"] for r in sel})
            lines.append(f"| x{factor:g} | {name} | {np.mean([r['fit_s'] for r in sel]):.1f} | "
                         f"{'-'.join(map(str, steps[:: max(1, len(steps) - 1)]))} | "
                         f"{np.mean([r['psnr'] for r in sel]):.3f} | {np.mean(diff):+.3f} | "
                         f"{min(diff):+.3f} to {max(diff):+.3f} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--volumes", type=int, default=2)
    ap.add_argument("--factors", default="2,4,6")
    ap.add_argument("--budgets", default=FIRST, help="';'-separated names of BUDGETS (today's is always run)")
    ap.add_argument("--report-only", action="store_true", help="rewrite OUT from OUT's .json (no fitting)")
    ap.add_argument("--base", help="starting weights of every budget but today's ('liif:PATH'; default the shipped "
                                   "base): another base model measured against today's")
    args = ap.parse_args()
    names = [n for n in BUDGETS if n in args.budgets.split(";") or n.endswith("(today)")]
    unknown = set(args.budgets.split(";")) - set(BUDGETS)
    if unknown:
        ap.error(f"unknown budgets: {sorted(unknown)}; known: {list(BUDGETS)}")
    command = (f"python study/scripts/selfsup_budget_probe.py --data {args.data} --out {args.out} "
               f"--volumes {args.volumes} --factors {args.factors} --budgets '{args.budgets}'"
               + (f" --base {args.base}" if args.base else ""))
    if args.report_only:
        rows = json.loads(Path(args.out).with_suffix(".json").read_text())
        names = list(dict.fromkeys(r["budget"] for r in rows))  # the names the record was made with
        Path(args.out).write_text(table(rows, names, command))
        return

    import torch

    from mrisr.volume.selfsup import fit_through_plane_model

    torch.set_num_threads(2)
    rows = []
    for v, vol in enumerate(volumes(args.data, args.volumes)):
        train, test = vol[:40], vol[40:]
        for factor in (float(f) for f in args.factors.split(",")):
            for name in names:
                t = time.perf_counter()
                base = None if name.endswith("(today)") else args.base
                params = {**BUDGETS[name].params(factor), "precision": "bfloat16", "base": base}
                m = fit_through_plane_model(train, 0, factor, params=params, progress=False)
                sec = time.perf_counter() - t
                rows.append({"volume": v, "factor": factor, "budget": name, "base": base, "fit_s": round(sec, 1),
                             "stopped_at": m.info["selfsup"]["stopped_at"], "psnr": score(m, test, factor)})
                print(json.dumps(rows[-1]), flush=True)
    Path(args.out).with_suffix(".json").write_text(json.dumps(rows, indent=1) + "\n")
    Path(args.out).write_text(table(rows, names, command))


if __name__ == "__main__":
    main()
