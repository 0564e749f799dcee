"""Orchestration of ``mrisr report``: evaluate (with cache), test, draw, write.

Everything the user could get wrong (data folder, method names, logs,
published points, image names, box) is checked before any output is
written; every file is written atomically.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from mrisr._atomic import check_output_dir
from mrisr.data.datasets import Pair, load_pair, open_split
from mrisr.data.resize import check_scale
from mrisr.errors import InputError
from mrisr.evaluation import EvalResult, build_methods, evaluate_pairs, results_meta
from mrisr.methods import Method, device_params, method_info
from mrisr.report import figures, logs, tables
from mrisr.report.cache import (
    CachedRun,
    ResultCache,
    cache_key,
    data_fingerprint,
    default_cache_dir,
)
from mrisr.report.records import Report, ReportOptions, ScaleRun
from mrisr.report.stats import method_statistics

logger = logging.getLogger(__name__)


# ---------------------------------------------------------------------------
# validation


def _check_method_names(specs: tuple[str, ...]) -> None:
    if not specs:
        raise ValueError("no method given (e.g. --methods bicubic,bilinear)")
    for spec in specs:
        method_info(spec)  # an unknown name raises ValueError naming the closest match


def _build_methods(
    opts: ReportOptions, scales: list[float]
) -> dict[float, tuple[dict[str, Method], dict[str, str]]]:
    """Construct every method at every scale; a method that cannot run at a scale is skipped there."""
    # the device is not a method parameter of the cache key: results do not depend on it
    params = {spec: {**device_params(spec, opts.device), **(opts.params.get(spec) or {})} for spec in opts.methods}
    built = {s: build_methods(opts.methods, s, params=params) for s in scales}
    for s, (_, skipped) in built.items():
        for spec, why in skipped.items():
            logger.warning("skipping %s at x%g: %s", spec, s, why)
    for spec in opts.methods:
        if all(spec in skipped for _, skipped in built.values()):
            raise ValueError(
                f"method {spec!r} cannot run at any requested scale: {built[scales[0]][1][spec]}"
            )
    return built


def _open_pairs(opts: ReportOptions, scale: float) -> list[Pair]:
    pairs = open_split(opts.data, opts.split, scale, on_the_fly=opts.on_the_fly)
    return pairs[: opts.limit] if opts.limit is not None else pairs


# ---------------------------------------------------------------------------
# evaluation with cache


def _run_method(
    spec: str,
    method: Method,
    pairs: list[Pair],
    scale: float,
    keep: list[str],
    cache: ResultCache,
    key: str,
    opts: ReportOptions,
) -> tuple[CachedRun, bool]:
    """Per-image rows and kept outputs of one method; ``True`` when served from the cache."""
    hit = cache.load(key)
    if hit is not None:
        missing = [p for p in pairs if p.name in keep and p.name not in hit.outputs]
        if missing:  # figure images chosen after the cached run: compute just those outputs
            evaluate_pairs(
                missing,
                {spec: method},
                scale,
                shave=opts.shave,
                progress=False,
                keep_outputs=lambda _m, name, sr: hit.outputs.__setitem__(name, sr),
            )
            cache.save(key, hit, meta={"spec": spec, "scale": scale})
        logger.info("%s x%g: %d rows from cache", spec, scale, len(hit.rows))
        return hit, True
    kept: dict[str, np.ndarray] = {}

    def keep_output(_label: str, name: str, sr: np.ndarray) -> None:
        if name in keep:
            kept[name] = np.asarray(sr, dtype=np.float32)

    res = evaluate_pairs(
        pairs,
        {spec: method},
        scale,
        shave=opts.shave,
        progress=opts.progress,
        keep_outputs=keep_output,
    )
    run = CachedRun(rows=res.rows, outputs=kept)
    cache.save(
        key, run, meta={"spec": spec, "scale": scale, "split": opts.split, "data": str(opts.data)}
    )
    return run, False


def _evaluate_scale(
    opts: ReportOptions,
    scale: float,
    methods: dict[str, Method],
    skipped: dict[str, str],
    pairs: list[Pair],
    keep: list[str],
    cache: ResultCache,
) -> ScaleRun:
    fingerprint = data_fingerprint(pairs)
    run = ScaleRun(scale=scale, pairs=pairs, result=EvalResult(), skipped=skipped)
    for spec, method in methods.items():
        key = cache_key(
            spec,
            scale=scale,
            split=opts.split,
            data=fingerprint,
            params=opts.params.get(spec),
            shave=opts.shave,
        )
        got, hit = _run_method(spec, method, pairs, scale, keep, cache, key, opts)
        run.result.rows += [dict(r, method=spec) for r in got.rows]
        run.outputs[spec] = got.outputs
        run.cached[spec] = hit
        run.info[spec] = dict(getattr(method, "info", None) or {})
    run.result.meta = results_meta(opts.data, opts.split, scale, list(methods), pairs, shave=opts.shave)
    run.stats = method_statistics(
        run.result,
        baseline=opts.baseline,
        confidence=opts.confidence,
        n_resamples=opts.n_resamples,
        seed=opts.seed,
        method=opts.ci_method,
    )
    return run


# ---------------------------------------------------------------------------
# figures


def _figures(
    opts: ReportOptions,
    runs: list[ScaleRun],
    keep: list[str],
    fig_dir: Path,
    boxes: dict[str, tuple],
) -> list[Path]:
    """Draw one qualitative figure per (scale, kept image); record each zoom box in ``boxes``."""
    from tqdm.auto import tqdm

    paths = []
    jobs = [(run, p) for run in runs for p in run.pairs if p.name in keep]
    for run, pair in tqdm(jobs, desc="figures", unit="fig", disable=not opts.progress):
        hr, lr = load_pair(pair, run.scale)
        box = opts.box or figures.auto_box(hr)
        figures.check_box(box, hr.shape, pair.name)
        outputs = {
            spec: run.outputs[spec][pair.name]
            for spec in run.outputs
            if pair.name in run.outputs[spec]
        }
        captions = {}
        for r in run.result.rows:
            if r["image"] == pair.name:
                captions[r["method"]] = f"{r['psnr']:.2f} dB · SSIM {r['ssim']:.4f}"
        name = f"qualitative_x{run.scale:g}_{Path(pair.name).stem}.png".replace(" ", "_")
        title = f"{pair.name}  ×{run.scale:g}  (box y,x,h,w = {','.join(map(str, box))})"
        paths.append(
            figures.qualitative_figure(
                fig_dir / name, hr, lr, outputs, box=box, title=title, captions=captions
            )
        )
        boxes[name] = box
    return paths


# ---------------------------------------------------------------------------
# entry point


def _validate(opts: ReportOptions) -> tuple[list[float], list[logs.Curve], dict | None]:
    if not Path(opts.data).is_dir():
        raise InputError("data folder not found", opts.data)
    if not (Path(opts.data) / opts.split).is_dir():
        raise InputError(f"split folder {opts.split!r} not found", Path(opts.data) / opts.split)
    if not opts.scales:
        raise ValueError("no scale given (e.g. --scales 2,4)")
    scales = list(dict.fromkeys(check_scale(s) for s in opts.scales))
    if opts.limit is not None and opts.limit < 1:
        raise ValueError(f"--limit must be >= 1, got {opts.limit}")
    _check_method_names(opts.methods)
    curves = [logs.read_log(a) for a in opts.logs]
    published = logs.read_published(opts.published) if opts.published else None
    check_output_dir(opts.out)
    return scales, curves, published


def build_report(opts: ReportOptions) -> Report:
    """Evaluate, test, draw and write the report folder ``opts.out``.

    Returns
    -------
    Report
        Paths written and everything measured.

    Raises
    ------
    InputError, ValueError
        Bad input, detected before anything is written.
    """
    scales, curves, published = _validate(opts)
    built = _build_methods(opts, scales)
    pairs = {s: _open_pairs(opts, s) for s in scales}
    names = sorted({p.name for ps in pairs.values() for p in ps})
    selection = list(opts.images) if isinstance(opts.images, tuple) else opts.images
    keep = figures.pick_images(names, selection)
    if opts.box is not None:
        from mrisr.data.io import read_image

        for p in pairs[scales[0]]:
            if p.name in keep:
                figures.check_box(opts.box, read_image(p.hr_path).shape, p.name)
    cache = ResultCache(opts.cache_dir or default_cache_dir(), enabled=opts.use_cache)
    runs = [_evaluate_scale(opts, s, *built[s], pairs[s], keep, cache) for s in scales]
    return _write(opts, runs, keep, curves, published)


def _write(
    opts: ReportOptions,
    runs: list[ScaleRun],
    keep: list[str],
    curves: list[logs.Curve],
    published: dict | None,
) -> Report:
    """Write CSVs, figures and the index into ``opts.out``; drop figures of earlier runs."""
    out = Path(opts.out)
    fig_dir = out / "figures"
    fig_dir.mkdir(parents=True, exist_ok=True)
    files = tables.write_csvs(out, runs, curves)
    boxes: dict[str, tuple] = {}
    fig_paths = _figures(opts, runs, keep, fig_dir, boxes)
    if curves or published:
        fig_paths.append(
            figures.learning_curves_figure(fig_dir / "learning_curves.png", curves, published)
        )
    for old in [*fig_dir.glob("qualitative_x*.png"), *fig_dir.glob("learning_curves.png")]:
        if old not in fig_paths:  # a figure of an earlier report into this folder
            old.unlink()
    if not curves and (out / "learning_curves.csv").is_file():
        (out / "learning_curves.csv").unlink()
    report = Report(
        out=out,
        files=files + fig_paths,
        scales=runs,
        figure_images=keep,
        curves=curves,
        boxes=boxes,
    )
    report.files += tables.write_index(report, opts, published)
    return report
