"""Every method under every degradation family: one table per scale, with bootstrap CIs.

``mrisr families`` degrades the HR images of a split (and, optionally, the
images a training config held out of ``train``) by each family's spec, runs
every method on the result and tabulates mean PSNR with a 95 % bootstrap
interval over the images, plus each method's worst single image against
``bicubic``: a method that is good on average can still damage a scan.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from mrisr.data.datasets import Pair, degraded_images, holdout_names, synthetic_pairs
from mrisr.data.degrade import parse_degradation, same_grid_text
from mrisr.data.resize import check_scale
from mrisr.evaluation import build_methods, csv_text, evaluate_images
from mrisr.report.stats import bootstrap_ci

#: the methods of the table by default (each runs at the scales its record allows)
DEFAULT_METHODS = ("bicubic", "zerofill", "elrtv", "liif-x2", "liif-x4", "liif-ms-x2", "liif-ms-x4", "liif-blind")
#: per-image CSV columns
COLUMNS = ("scale", "family", "spec", "method", "image", "psnr", "ssim", "seconds")


def default_families(scale: float) -> dict[str, str]:
    """The families of the table at ``scale``: label -> degradation spec (8-bit LR, as exported).

    The study's pipeline (a Gaussian of sigma 1 HR pixel, area average, 8-bit floor: it gives the
    stored IXI LR images exactly, at 2x and at 4x); anti-aliased bicubic resizing; k-space truncation
    (a smaller acquisition matrix) without and with Rician noise; a wider Gaussian (sigma 0.8 x
    scale); a Gaussian of sigma scale / 2 with Rician noise.
    """
    return {
        "study (IXI pipeline)": "gaussian:1+quant:8,floor",
        "bicubic resize": "bicubic+quant:8",
        "k-space truncation": "kspace+quant:8",
        "k-space + Rician 0.02": "kspace+rician:0.02+quant:8",
        "wider Gaussian": f"gaussian:{0.8 * scale:g}+quant:8",
        "Gaussian + Rician 0.02": "gaussian+rician:0.02+quant:8",
    }


@dataclass
class FamilyResult:
    """Per-image rows (``COLUMNS``) of a families run and its description."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)

    def values(self, scale: float, family: str, method: str, key: str = "psnr") -> np.ndarray:
        """One value per image, in image order."""
        return np.array([r[key] for r in self.rows
                         if r["scale"] == scale and r["family"] == family and r["method"] == method])


def family_images(root: str | Path, split: str, holdout: int = 0) -> list[Pair]:
    """The HR images of ``ROOT/<split>`` plus the ``holdout`` held-out images of ``ROOT/train``."""
    pairs = synthetic_pairs(Path(root) / split)
    if holdout:
        held = set(holdout_names(str(root), "train", holdout))
        pairs += [p for p in synthetic_pairs(Path(root) / "train") if p.name in held]
    if not pairs:
        raise ValueError(f"{Path(root) / split}: no images")
    return pairs


def evaluate_families(
    root: str | Path,
    split: str,
    scales: list[float],
    methods: list[str] | tuple[str, ...] = DEFAULT_METHODS,
    *,
    families: dict[str, str] | None = None,
    holdout: int = 0,
    seed: int = 0,
    contrast: str = "",
    limit: int | None = None,
    params: dict[str, dict[str, Any]] | None = None,
    progress: bool = True,
) -> FamilyResult:
    """Run ``methods`` on the split degraded by each family at each scale.

    Parameters
    ----------
    root, split : str
        HR images in ``ROOT/<split>`` (stored LR images are not used).
    scales : list of float
        Upscaling factors; a method that cannot run at one (e.g. ``liif-x2`` at 4) is left out there.
    methods : sequence of str
        Method specs.
    families : dict, optional
        Label -> degradation spec, the same at every scale; default :func:`default_families`.
    holdout : int
        Also the ``holdout`` images a training config keeps out of ``ROOT/train`` (``data.holdout``).
    seed : int
        Image ``i`` is degraded with seed ``[seed, i]`` (as ``mrisr evaluate --degrade``).
    contrast : str
        Same-grid steps that change each HR image (target included) before it is degraded, a stand-in
        for another contrast (``remap:nonmonotone``; :func:`mrisr.data.datasets.degraded_images`).
    limit : int, optional
        Use the first ``limit`` images only.
    params : dict, optional
        Spec -> extra factory options (e.g. ``{'device': 'cuda'}``).
    progress : bool
        Progress bars.
    """
    scales = [check_scale(s) for s in scales]
    for spec in (families or {}).values():
        parse_degradation(spec)  # a bad spec fails before any work
    contrast = same_grid_text(contrast)
    pairs = family_images(root, split, holdout)[:limit]
    result = FamilyResult(meta={"data": str(root), "split": split, "holdout": holdout, "images": len(pairs),
                                "seed": seed, "contrast": contrast, "methods": list(methods), "families": {},
                                "skipped": {}})
    for scale in scales:
        built, skipped = build_methods(methods, scale, params=params)
        fams = {k: str(parse_degradation(v)) for k, v in (families or default_families(scale)).items()}
        result.meta["families"][f"{scale:g}"] = fams
        result.meta["skipped"][f"{scale:g}"] = skipped
        for label, canon in fams.items():
            res = evaluate_images(degraded_images(pairs, scale, canon, seed=seed, contrast=contrast), built,
                                  total=len(pairs), progress=progress)
            result.rows += [{"scale": scale, "family": label, "spec": canon, **r} for r in res.rows]
    return result


def summarise(result: FamilyResult, *, resamples: int = 9999, seed: int = 0) -> list[dict[str, Any]]:
    """Per (scale, family, method): n, mean PSNR and its 95 % BCa interval, mean SSIM, worst image vs bicubic.

    ``worst_vs_bicubic`` is the smallest per-image PSNR difference to ``bicubic`` (dB; negative: that
    image came out worse than plain interpolation); absent when ``bicubic`` was not run.
    """
    out = []
    keys = dict.fromkeys((r["scale"], r["family"], r["method"]) for r in result.rows)
    for scale, family, method in keys:
        psnr = result.values(scale, family, method)
        lo, hi = bootstrap_ci(psnr, n_resamples=resamples, seed=seed)
        row = {"scale": scale, "family": family, "method": method, "n": int(psnr.size),
               "psnr": float(psnr.mean()), "psnr_lo": lo, "psnr_hi": hi,
               "ssim": float(result.values(scale, family, method, "ssim").mean()),
               "seconds": float(result.values(scale, family, method, "seconds").mean())}
        base = result.values(scale, family, "bicubic")
        if base.size == psnr.size and base.size:
            row["worst_vs_bicubic"] = float((psnr - base).min())
        out.append(row)
    return out


def markdown(summary: list[dict[str, Any]], *, ci: bool = True) -> str:
    """One table per scale: families as rows, methods as columns, the best mean per row in bold.

    With ``ci``, each cell is ``mean [low, high]``; a second table per scale gives each method's
    worst image against bicubic.
    """
    lines: list[str] = []
    for scale in dict.fromkeys(r["scale"] for r in summary):
        rows = [r for r in summary if r["scale"] == scale]
        methods = list(dict.fromkeys(r["method"] for r in rows))
        cell = {(r["family"], r["method"]): r for r in rows}
        n = rows[0]["n"]
        lines += [f"**{scale:g}x**, PSNR dB, mean of {n} images" + (" [95 % bootstrap CI]" if ci else ""), "",
                  "| family | " + " | ".join(f"`{m}`" for m in methods) + " |",
                  "|---|" + "---|" * len(methods)]
        for family in dict.fromkeys(r["family"] for r in rows):
            best = max(cell[family, m]["psnr"] for m in methods if (family, m) in cell)
            vals = []
            for m in methods:
                r = cell.get((family, m))
                text = "" if r is None else f"{r['psnr']:.2f}"
                if r is not None and r["psnr"] == best:
                    text = f"**{text}**"
                if r is not None and ci:
                    text += f" [{r['psnr_lo']:.2f}, {r['psnr_hi']:.2f}]"
                vals.append(text)
            lines.append(f"| {family} | " + " | ".join(vals) + " |")
        if ci and any("worst_vs_bicubic" in r for r in rows):
            lines += ["", f"**{scale:g}x**, worst single image against `bicubic` (dB)", "",
                      "| family | " + " | ".join(f"`{m}`" for m in methods if m != "bicubic") + " |",
                      "|---|" + "---|" * (len(methods) - 1)]
            for family in dict.fromkeys(r["family"] for r in rows):
                vals = [f"{cell[family, m]['worst_vs_bicubic']:+.2f}" if "worst_vs_bicubic" in cell.get(
                    (family, m), {}) else "" for m in methods if m != "bicubic"]
                lines.append(f"| {family} | " + " | ".join(vals) + " |")
        lines.append("")
    return "\n".join(lines)


def write_families(result: FamilyResult, out_dir: str | Path, *, resamples: int = 9999,
                   seed: int = 0) -> list[Path]:
    """Write ``per_image.csv``, ``summary.json`` and ``families.md`` into ``out_dir`` (atomically)."""
    from mrisr._atomic import atomic_write_text

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    summary = summarise(result, resamples=resamples, seed=seed)
    rows = ({**r, "scale": f"{r['scale']:g}"} for r in result.rows)
    paths = [out / "per_image.csv", out / "summary.json", out / "families.md"]
    atomic_write_text(paths[0], csv_text(COLUMNS, rows))
    atomic_write_text(paths[1], json.dumps({"meta": result.meta, "summary": summary}, indent=2))
    atomic_write_text(paths[2], markdown(summary))
    return paths
