"""Evaluation runner used by ``mrisr evaluate``, ``mrisr test`` and ``mrisr report``."""

from __future__ import annotations

import csv
import io
import json
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from mrisr.data.datasets import Pair, degraded_images, load_pair, open_split, synthetic_pairs
from mrisr.data.resize import check_scale
from mrisr.errors import InputError
from mrisr.methods import Method, make_method, method_info
from mrisr.metrics import image_metrics, summarise

logger = logging.getLogger(__name__)

METRIC_KEYS = ("psnr", "psnr_fg", "ssim", "ssim_g")


@dataclass
class EvalResult:
    """Per-image rows and per-method summaries of one evaluation.

    Attributes
    ----------
    rows : list of dict
        One row per (method, image): ``method``, ``image``, the metrics of
        :func:`mrisr.metrics.image_metrics` and ``seconds``.
    meta : dict
        Data root, split, scale and method specs.
    """

    rows: list[dict[str, Any]] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)

    def methods(self) -> list[str]:
        seen: dict[str, None] = {}
        for r in self.rows:
            seen.setdefault(r["method"], None)
        return list(seen)

    def values(self, method: str, key: str) -> np.ndarray:
        return np.array([r[key] for r in self.rows if r["method"] == method], dtype=np.float64)

    def summary(self) -> dict[str, dict[str, float]]:
        """Mean and sd of every metric and seconds/image, per method."""
        out: dict[str, dict[str, float]] = {}
        for m in self.methods():
            s: dict[str, float] = {"n": int(len(self.values(m, "psnr")))}
            for key in (*METRIC_KEYS, "seconds"):
                s[f"{key}_mean"], s[f"{key}_sd"] = summarise(self.values(m, key))
            out[m] = s
        return out


def evaluate_pairs(
    pairs: list[Pair],
    methods: dict[str, Method],
    scale: float,
    *,
    shave: int = 0,
    progress: bool = True,
    keep_outputs: Callable[[str, str, np.ndarray], None] | None = None,
) -> EvalResult:
    """Run every method on every pair and measure it.

    Parameters
    ----------
    pairs : list of Pair
        From :func:`mrisr.data.open_split`.
    methods : dict
        Label -> method.
    scale : float
        Upscaling factor; LR is made on the fly for pairs without a stored LR.
    shave : int, default 0
        Border excluded from the metrics (0 is the study's protocol).
    progress : bool
        Show a tqdm bar (only when stderr is a terminal).
    keep_outputs : callable, optional
        Called as ``keep_outputs(method, image_name, sr)`` for each output.
    """
    images = ((p.name, *load_pair(p, scale)) for p in pairs)
    return evaluate_images(
        images, methods, total=len(pairs), shave=shave, progress=progress, keep_outputs=keep_outputs
    )


def evaluate_images(
    images: Iterable[tuple[str, np.ndarray, np.ndarray]],
    methods: dict[str, Method],
    *,
    total: int | None = None,
    shave: int = 0,
    progress: bool = True,
    keep_outputs: Callable[[str, str, np.ndarray], None] | None = None,
) -> EvalResult:
    """Run every method on in-memory ``(name, hr, lr)`` triples and measure it.

    Parameters
    ----------
    images : iterable of (str, numpy.ndarray, numpy.ndarray)
        Image name, HR (H, W) and LR (h, w) float arrays in [0, 1]; read lazily.
    methods : dict
        Label -> method.
    total : int, optional
        Number of images (for the progress bar).
    shave, progress, keep_outputs
        As in :func:`evaluate_pairs`.
    """
    from tqdm.auto import tqdm

    result = EvalResult()
    n = None if total is None else total * len(methods)
    # disable=None: no bar when stderr is not a terminal (logs, CI, pipes).
    with tqdm(total=n, disable=None if progress else True, desc="evaluate", unit="img") as bar:
        for name, hr, lr in images:
            for label, method in methods.items():
                row, sr = _measure(label, method, name, hr, lr, shave)
                result.rows.append(row)
                if keep_outputs is not None:
                    keep_outputs(label, name, sr)
                bar.update(1)
    return result


def _measure(
    label: str, method: Method, name: str, hr: np.ndarray, lr: np.ndarray, shave: int
) -> tuple[dict[str, Any], np.ndarray]:
    """Time one method on one LR image and score it; return ``(row, sr)``."""
    t0 = time.perf_counter()
    sr = np.asarray(method(lr, hr.shape))
    dt = time.perf_counter() - t0
    if sr.shape != hr.shape:
        raise RuntimeError(f"method {label} returned shape {sr.shape}, expected {hr.shape}")
    row = {"method": label, "image": name, **image_metrics(sr, hr, shave=shave), "seconds": dt}
    return row, sr


def evaluate_split(
    root: str | Path,
    split: str,
    scale: float,
    method_specs: list[str],
    *,
    params: dict[str, dict[str, Any]] | None = None,
    shave: int = 0,
    on_the_fly: bool | None = None,
    limit: int | None = None,
    progress: bool = True,
    degrade: str | None = None,
    seed: int = 0,
    contrast: str = "",
) -> EvalResult:
    """Evaluate method specs on ``ROOT/<split>`` at ``scale``.

    ``params`` maps a spec to extra factory options (e.g. tuned ELRTV
    parameters). ``limit`` keeps the first N images (by name). ``degrade``, a
    degradation spec (:func:`mrisr.data.degrade.parse_degradation`), makes the
    LR images from the HR folder alone, image ``i`` with seed ``[seed, i]``
    (:func:`mrisr.data.datasets.degraded_images`); the spec and seed go into ``meta``. ``contrast``
    (with ``degrade`` only) changes each HR image first, the target too (same-grid steps, e.g.
    ``remap:nonmonotone``).
    """
    scale = check_scale(scale)
    if limit is not None and limit < 1:
        raise ValueError(f"limit must be >= 1, got {limit}")
    if shave < 0:
        raise ValueError(f"shave must be >= 0, got {shave}")
    if contrast and degrade is None:
        raise ValueError("a contrast change needs a degradation spec (--degrade): stored LR images cannot follow it")
    if degrade is not None:
        from mrisr.data.degrade import parse_degradation, same_grid_text

        degrade = str(parse_degradation(degrade))  # a bad spec fails before any image is read
        contrast = same_grid_text(contrast)
        pairs = synthetic_pairs(Path(root) / split)
    else:
        pairs = open_split(root, split, scale, on_the_fly=on_the_fly)
    if limit is not None:
        pairs = pairs[:limit]
    images = None if degrade is None else degraded_images(pairs, scale, degrade, seed=seed, contrast=contrast)
    methods = {spec: make_method(spec, scale=scale, params=(params or {}).get(spec)) for spec in method_specs}
    if images is not None:
        result = evaluate_images(images, methods, total=len(pairs), shave=shave, progress=progress)
    else:
        result = evaluate_pairs(pairs, methods, scale, shave=shave, progress=progress)
    result.meta = results_meta(root, split, scale, method_specs, pairs, shave=shave)
    if degrade is not None:
        result.meta.update(lr=f"degraded on the fly: {degrade}" + (f" after {contrast}" if contrast else "")
                           + f", seed {seed}", degrade=degrade, seed=seed, **({"contrast": contrast} if contrast else {}))
    return result


def results_meta(
    root: str | Path, split: str, scale: float, methods: list[str], pairs: list[Pair], *, shave: int = 0
) -> dict[str, Any]:
    """The description of one evaluation on a split, as kept in :attr:`EvalResult.meta`.

    Returns
    -------
    dict
        ``data`` (the root as text), ``split``, ``scale``, ``methods`` (the specs run), ``shave``,
        ``images`` (number of pairs) and ``lr``: ``'stored'`` when the pairs have stored LR images,
        else ``'on-the-fly'``.
    """
    return {
        "data": str(root),
        "split": split,
        "scale": scale,
        "methods": list(methods),
        "shave": shave,
        "images": len(pairs),
        "lr": "stored" if pairs and pairs[0].lr_path is not None else "on-the-fly",
    }


def build_methods(
    specs: Iterable[str], scale: float, *, params: dict[str, dict[str, Any]] | None = None
) -> tuple[dict[str, Method], dict[str, str]]:
    """Build each method spec at ``scale``; specs that cannot run at this scale are skipped, with why.

    Parameters
    ----------
    specs : iterable of str
        Method specs (``'bicubic'``, ``'liif-x2'``, ``'liif:PATH'``...).
    scale : float
        Upscaling factor.
    params : dict, optional
        Spec -> extra factory options.

    Returns
    -------
    built : dict
        Spec -> method, in the order given.
    skipped : dict
        Spec -> the first line of the reason it cannot be built at ``scale`` (for example a shipped
        model validated for another scale).

    Raises
    ------
    ValueError
        An unknown method name (with the closest valid spelling).
    InputError
        A file the user named cannot be used (a missing or foreign checkpoint).
    """
    built: dict[str, Method] = {}
    skipped: dict[str, str] = {}
    for spec in specs:
        method_info(spec)  # unknown names are an error, not a skip
        try:
            built[spec] = make_method(spec, scale=scale, params=(params or {}).get(spec))
        except InputError:
            raise
        except ValueError as exc:
            skipped[spec] = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            logger.debug("skipping %s at x%g: %s", spec, scale, skipped[spec])
    return built, skipped


def format_table(result: EvalResult) -> str:
    """A plain-text table: method, PSNR mean ± sd, foreground PSNR, both SSIMs, s/image."""
    summary = result.summary()
    w = max([28, *(len(m) for m in summary)])
    head = f"{'method':<{w}} {'PSNR (dB)':>15} {'PSNR fg':>8} {'SSIM 7u':>8} {'SSIM 11g':>8} {'s/img':>8}"
    lines = [head, "-" * len(head)]
    for m, s in summary.items():
        lines.append(
            f"{m:<{w}} {s['psnr_mean']:>8.3f} ± {s['psnr_sd']:<4.2f} {s['psnr_fg_mean']:>8.3f} "
            f"{s['ssim_mean']:>8.4f} {s['ssim_g_mean']:>8.4f} {s['seconds_mean']:>8.3f}"
        )
    return "\n".join(lines)


#: Columns of ``mrisr evaluate``'s ``per_image.csv``; ``mrisr report`` puts ``scale`` first.
PER_IMAGE_COLUMNS = ("method", "image", *METRIC_KEYS, "seconds")


def csv_text(columns: Iterable[str], rows: Iterable[dict[str, Any]]) -> str:
    """CSV text with a header row: floats with 6 decimals, ``\\n`` line endings, other keys ignored."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(columns), extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for r in rows:
        writer.writerow({k: (f"{v:.6f}" if isinstance(v, float) else v) for k, v in r.items()})
    return buf.getvalue()


def per_image_csv(results: Iterable[EvalResult], columns: Iterable[str] = PER_IMAGE_COLUMNS) -> str:
    """The per-image table of one or more evaluations as CSV text (see :func:`csv_text`).

    Parameters
    ----------
    results : iterable of EvalResult
        One row per (method, image) of each, in order; a ``scale`` column holds each result's
        ``meta['scale']`` (as ``'%g'``).
    columns : iterable of str
        Columns to write, from ``scale``, ``method``, ``image``, the metrics and ``seconds``.
    """
    rows = ({"scale": f"{res.meta['scale']:g}" if "scale" in res.meta else "", **r}
            for res in results for r in res.rows)
    return csv_text(columns, rows)


def write_results(result: EvalResult, out_dir: str | Path) -> tuple[Path, Path]:
    """Write ``per_image.csv`` and ``summary.json`` into ``out_dir`` (atomically)."""
    from mrisr._atomic import atomic_write_text

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    csv_path, json_path = out / "per_image.csv", out / "summary.json"
    atomic_write_text(csv_path, per_image_csv([result]))
    atomic_write_text(json_path, json.dumps({"meta": result.meta, "summary": result.summary()}, indent=2))
    return csv_path, json_path
