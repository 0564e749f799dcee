"""Report tables: CSV files and the index page (Markdown + HTML)."""

from __future__ import annotations

import datetime as _dt
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mrisr._atomic import atomic_write_text
from mrisr.evaluation.runner import METRIC_KEYS, PER_IMAGE_COLUMNS, csv_text, per_image_csv
from mrisr.report.render import Doc, to_html, to_markdown
from mrisr.report.stats import STAT_KEYS

if TYPE_CHECKING:
    from mrisr.report.logs import Curve
    from mrisr.report.records import Report, ReportOptions, ScaleRun

DASH = "—"
INFO_KEYS = ("epochs", "steps", "hours", "hardware")


def fmt(v: Any, digits: int) -> str:
    """A number with ``digits`` decimals, or '—' for None/NaN."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return DASH
    return f"{v:.{digits}f}" if isinstance(v, (int, float)) else str(v)


def fmt_ci(mean: float, ci: tuple[float, float], digits: int) -> str:
    """``'29.09 [28.7, 29.5]'``."""
    if math.isnan(ci[0]):
        return fmt(mean, digits)
    return f"{fmt(mean, digits)} [{fmt(ci[0], digits)}, {fmt(ci[1], digits)}]"


def fmt_delta(mean: float, ci: tuple[float, float], digits: int) -> str:
    """Signed improvement with CI: ``'+3.45 [+3.1, +3.8]'``."""
    if mean is None or math.isnan(mean):
        return DASH
    s = f"{mean:+.{digits}f}"
    return s if math.isnan(ci[0]) else f"{s} [{ci[0]:+.{digits}f}, {ci[1]:+.{digits}f}]"


def fmt_p(p: float | None) -> str:
    if p is None or math.isnan(p):
        return DASH
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def fmt_info(info: dict[str, Any], key: str) -> str:
    v = info.get(key)
    if v is None:
        return DASH
    if key == "hours" and isinstance(v, (int, float)):
        return f"{v:.2f}"
    return str(v)


# ---------------------------------------------------------------------------
# CSV


def summary_rows(runs: list[ScaleRun]) -> list[dict[str, Any]]:
    """One row per (scale, method): means, CIs, gains over the baseline, tests, training info."""
    rows = []
    for run in runs:
        for st in run.stats:
            row: dict[str, Any] = {
                "scale": f"{run.scale:g}",
                "rank": st.rank,
                "method": st.method,
                "n": st.n,
            }
            for key in STAT_KEYS:
                row[f"{key}_mean"] = st.mean[key]
                row[f"{key}_ci_low"], row[f"{key}_ci_high"] = st.ci[key]
            for key, d in st.delta.items():
                row[f"delta_{key}"] = d
                row[f"delta_{key}_ci_low"], row[f"delta_{key}_ci_high"] = st.delta_ci[key]
            row["next_method"] = st.next_method or ""
            row["p_psnr_vs_next"] = st.p_next.get("psnr", math.nan)
            row["p_ssim_vs_next"] = st.p_next.get("ssim", math.nan)
            row.update({k: run.info.get(st.method, {}).get(k, "") for k in INFO_KEYS})
            row["cached"] = run.cached.get(st.method, False)
            rows.append(row)
    return rows


def summary_fields() -> list[str]:
    f = ["scale", "rank", "method", "n"]
    for key in STAT_KEYS:
        f += [f"{key}_mean", f"{key}_ci_low", f"{key}_ci_high"]
    for key in METRIC_KEYS:
        f += [f"delta_{key}", f"delta_{key}_ci_low", f"delta_{key}_ci_high"]
    return f + ["next_method", "p_psnr_vs_next", "p_ssim_vs_next", *INFO_KEYS, "cached"]


def curve_rows(curves: list[Curve]) -> list[dict[str, Any]]:
    return [
        {
            "run": c.label,
            "epoch": (float(c.epoch[i]) if c.epoch is not None else ""),
            "wall_hours": float(c.hours[i]),
            "val_psnr": float(c.val_psnr[i]),
            "source": c.source,
        }
        for c in curves
        for i in range(len(c.val_psnr))
    ]


def write_csvs(out: Path, runs: list[ScaleRun], curves: list[Curve]) -> list[Path]:
    """``per_image.csv``, ``summary.csv`` and (with logs) ``learning_curves.csv``."""
    files = [out / "per_image.csv", out / "summary.csv"]
    atomic_write_text(files[0], per_image_csv([run.result for run in runs], ("scale", *PER_IMAGE_COLUMNS)))
    atomic_write_text(files[1], csv_text(summary_fields(), summary_rows(runs)))
    if curves:
        files.append(out / "learning_curves.csv")
        atomic_write_text(
            files[2],
            csv_text(["run", "epoch", "wall_hours", "val_psnr", "source"], curve_rows(curves)),
        )
    return files


# ---------------------------------------------------------------------------
# index


def _study_table(doc: Doc, runs: list[ScaleRun], methods: tuple[str, ...]) -> None:
    """Methods in the order given, PSNR / SSIM per scale, seconds per image, training cost."""
    header = ["method"] + [f"×{r.scale:g} PSNR / SSIM" for r in runs]
    header += [f"×{r.scale:g} s/image" for r in runs] + ["epochs", "training hours", "hardware"]
    rows = []
    for m in methods:
        by_scale = [{s.method: s for s in r.stats}.get(m) for r in runs]
        cells = [m]
        cells += [
            f"{st.mean['psnr']:.2f} / {st.mean['ssim']:.4f}" if st else "skipped" for st in by_scale
        ]
        cells += [fmt(st.mean["seconds"], 3) if st else DASH for st in by_scale]
        for key in ("epochs", "hours", "hardware"):
            vals = list(
                dict.fromkeys(fmt_info(r.info.get(m, {}), key) for r in runs if m in r.info)
            )
            cells.append(" / ".join(vals) if vals else DASH)
        rows.append(cells)
    doc.table(header, rows)


def _scale_table(doc: Doc, run: ScaleRun, baseline: str) -> None:
    has_base = any(st.delta for st in run.stats)
    header = ["#", "method", "PSNR (dB) [CI]", "SSIM 7×7 [CI]"]
    header += [f"ΔPSNR vs {baseline} [CI]", f"ΔSSIM vs {baseline} [CI]"] if has_base else []
    header += [
        "p vs next: PSNR / SSIM",
        "fg PSNR (dB) [CI]",
        "SSIM 11×11 G [CI]",
        "s/image",
        "epochs",
        "hours",
    ]
    rows = []
    for st in run.stats:
        info = run.info.get(st.method, {})
        row = [
            str(st.rank),
            st.method + (" (cached)" if run.cached.get(st.method) else ""),
            fmt_ci(st.mean["psnr"], st.ci["psnr"], 2),
            fmt_ci(st.mean["ssim"], st.ci["ssim"], 4),
        ]
        if has_base and st.method == baseline:
            row += ["baseline", "baseline"]
        elif has_base:
            row += [
                fmt_delta(st.delta["psnr"], st.delta_ci["psnr"], 2),
                fmt_delta(st.delta["ssim"], st.delta_ci["ssim"], 4),
            ]
        p = (
            f"{fmt_p(st.p_next.get('psnr'))} / {fmt_p(st.p_next.get('ssim'))} (vs {st.next_method})"
            if st.next_method
            else DASH
        )
        row += [
            p,
            fmt_ci(st.mean["psnr_fg"], st.ci["psnr_fg"], 2),
            fmt_ci(st.mean["ssim_g"], st.ci["ssim_g"], 4),
            fmt(st.mean["seconds"], 3),
            fmt_info(info, "epochs"),
            fmt_info(info, "hours"),
        ]
        rows.append(row)
    doc.table(header, rows)


def _notes(opts: ReportOptions, n_images: int) -> list[str]:
    pmin = 2.0 / 2**n_images if n_images else math.nan
    return [
        f"Means over {n_images} images; brackets: {opts.confidence:.0%} bootstrap confidence interval over images "
        f"({'BCa' if opts.ci_method == 'bca' else opts.ci_method}, {opts.n_resamples} resamples, seed {opts.seed}); "
        "Δ columns: paired mean difference to the baseline with its bootstrap CI.",
        "p vs next: two-sided paired Wilcoxon signed-rank test over images of each method against the method ranked "
        f"just below it by mean PSNR (exact null distribution for small samples; with {n_images} images no p-value "
        f"can be below {pmin:.3g}).",
        "PSNR over the whole image with peak 1; fg PSNR inside the dilated foreground mask of the HR image "
        "(the masked background flatters whole-image PSNR). SSIM 7×7: uniform window, sample covariance "
        "(scikit-image default); SSIM 11×11 G: Gaussian σ = 1.5 (Wang et al. 2004). No border is shaved"
        + (f" (here shave = {opts.shave})." if opts.shave else "."),
        "s/image: wall time of one method call per image on this machine (from the cached run where marked cached).",
    ]


def write_index(report: Report, opts: ReportOptions, published: dict | None) -> list[Path]:
    """Write ``index.md`` and ``index.html`` describing every result and figure."""
    from mrisr import __version__

    doc = Doc(title=f"mrisr report: {opts.split} split")
    runs = report.scales
    n_images = max((len(r.pairs) for r in runs), default=0)
    lr = runs[0].result.meta.get("lr", "") if runs else ""
    doc.p(
        f"Data `{opts.data}`, split `{opts.split}`, {n_images} images, LR {lr}; scales "
        f"{', '.join(f'×{r.scale:g}' for r in runs)}; mrisr {__version__}; "
        f"made {_dt.datetime.now().astimezone().strftime('%Y-%m-%d %H:%M %Z')}."
    )
    if opts.command:
        doc.p(f"Command: `{opts.command}`")
    doc.h("Results")
    _study_table(doc, runs, opts.methods)
    for run in runs:
        doc.h(f"×{run.scale:g}: ranked by PSNR", 3)
        _scale_table(doc, run, opts.baseline)
        if run.skipped:
            doc.items([f"`{m}` skipped at ×{run.scale:g}: {why}" for m, why in run.skipped.items()])
    doc.h("Notes", 3)
    doc.items(_notes(opts, n_images))
    doc.p(
        "Files: `per_image.csv` (every metric of every image), `summary.csv` (means, CIs, gains, p-values)"
        + (", `learning_curves.csv`" if report.curves else "")
        + "."
    )
    _figure_section(doc, report, published, opts.box)
    md, page = report.out / "index.md", report.out / "index.html"
    atomic_write_text(md, to_markdown(doc))
    atomic_write_text(page, to_html(doc))
    return [md, page]


def _figure_section(
    doc: Doc, report: Report, published: dict | None, opts_box: tuple | None
) -> None:
    figs = [p for p in report.files if p.suffix == ".png"]
    qual = [p for p in figs if p.name.startswith("qualitative_")]
    if qual:
        doc.h("Qualitative comparison")
        doc.p(
            "Top row: full images with the zoom box marked; middle: the box enlarged (LR shown with its own "
            "pixels); bottom: |SR − HR| in the jet colour map, one colour bar shared by all methods of a figure "
            "(clipped at the largest per-method 99.5th percentile). Titles give that image's PSNR and SSIM (7×7)."
        )
        how = (
            "given by --box"
            if opts_box
            else "chosen per image: the quarter-size square with most edge energy"
        )
        doc.p(f"Zoom box (y, x, h, w in HR pixels) {how}.")
        for p in qual:
            box = report.boxes.get(p.name)
            doc.p(f"`{p.name}`" + (f": box {','.join(map(str, box))}" if box else ""))
            doc.img(f"figures/{p.name}", p.stem)
    curves = [p for p in figs if p.name == "learning_curves.png"]
    if curves:
        doc.h("Learning curves")
        runs = ", ".join(f"`{c.label}` ({c.source})" for c in report.curves) or "none"
        doc.p(
            f"Validation PSNR by epoch and by wall-clock hours. Runs: {runs}."
            + (
                f" Published points (dashed, open markers): {', '.join(published)}."
                if published
                else ""
            )
        )
        no_epoch = [c.label for c in report.curves if c.epoch is None]
        if no_epoch:
            doc.p(
                f"No epoch scalar in the TensorBoard logs of {', '.join(no_epoch)}: drawn against hours only."
            )
        doc.img(f"figures/{curves[0].name}", "learning curves")
