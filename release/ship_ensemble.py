"""Register an output ensemble of shipped methods, measured on val, with a card.

The ensemble's output is the pixel-wise mean of its members' outputs
(``mrisr.models.method.EnsembleMethod``). This script measures bicubic, each
member and the ensemble side by side on the val split with the same code as
``mrisr evaluate``, writes ``src/mrisr/weights/<stem>.md`` and adds (or
replaces) the entry under ``"ensembles"`` in ``index.json``. The members must
already be shipped (``release/ship_weights.py``); nothing is trained here.

    python release/ship_ensemble.py --method liif-x4-ens --members liif-x4,liif-x4-alt --scale 4 \
        --stem liif_x4_ens --data ../shared/data/ixi-t2-midslices --description "..."
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

WEIGHTS = Path(__file__).resolve().parents[1] / "src" / "mrisr" / "weights"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--method", required=True, help="name the ensemble is served as")
    ap.add_argument("--members", required=True, help="comma-separated shipped method names")
    ap.add_argument("--scale", required=True, type=float)
    ap.add_argument("--stem", required=True, help="card file name, without .md")
    ap.add_argument("--data", required=True)
    ap.add_argument("--split", default="val")
    ap.add_argument("--description", default="")
    ap.add_argument("--notes", help="Markdown file whose text goes into the card's Notes section")
    args = ap.parse_args()

    from mrisr.data.datasets import open_split
    from mrisr.evaluation import format_table
    from mrisr.evaluation.runner import evaluate_pairs
    from mrisr.methods import make_method
    from mrisr.models.method import EnsembleMethod
    from mrisr.weights import entry_for

    members = args.members.split(",")
    entries = [entry_for(m) for m in members]  # refuses members that are not shipped weights
    built = {m: make_method(m, scale=args.scale) for m in members}  # loaded once: rows of their own and the ensemble
    pairs = open_split(args.data, args.split, args.scale)
    methods = {"bicubic": make_method("bicubic", scale=args.scale), **built,
               args.method: EnsembleMethod(list(built.values()), name=args.method)}
    res = evaluate_pairs(pairs, methods, args.scale, progress=False)
    res.meta = {"split": args.split, "images": len(pairs)}
    summ = res.summary()[args.method]
    val = {f"x{args.scale:g}": {k: round(summ[f"{k}_mean"], 4) for k in ("psnr", "psnr_fg", "ssim", "ssim_g")}}
    table = f"### x{args.scale:g} ({args.split}, {len(pairs)} images)\n\n```\n{format_table(res)}\n```"
    rows = "\n".join(f"| `{m}` | `{e.file}` | `{e.card}` | `{e.sha256[:16]}…` |"
                     for m, e in zip(members, entries, strict=True))
    notes = Path(args.notes).read_text().strip() + "\n" if args.notes else ""
    card = f"""# {args.stem}

{args.description}

Serves method: `{args.method}` (scale {args.scale:g}); not a default of `mrisr upscale`. Its output is the
pixel-wise mean of its members' outputs, so it costs the sum of their times; `--self-ensemble` applies to each
member. No weights of its own, nothing trained for it.

| member | weights | card | SHA-256 |
|---|---|---|---|
{rows}

## Validation (measured by `release/ship_ensemble.py` with `mrisr.evaluation`, members and bicubic side by side)

{table}

{"## Notes" + chr(10) + chr(10) + notes if notes else ""}
## Licence

The members were trained on IXI (brain-development.org/ixi-dataset), distributed under CC BY-SA 3.0; their
weights are derivative works shared under the same terms.
"""
    (WEIGHTS / f"{args.stem}.md").write_text(card)
    idx_path = WEIGHTS / "index.json"
    idx = json.loads(idx_path.read_text())
    idx["ensembles"] = [e for e in idx.get("ensembles", []) if e["method"] != args.method]
    idx["ensembles"].append({
        "method": args.method, "members": members, "scale": args.scale, "card": f"{args.stem}.md",
        "description": args.description, "val": val,
    })
    idx_path.write_text(json.dumps(idx, indent=2) + "\n")
    print(table)
    print(f"wrote {args.stem}.md and the {args.method} entry of index.json")


if __name__ == "__main__":
    main()
