"""Optuna tuning of ELRTV on paired training images.

A study maximises mean PSNR over a fixed subset of a split (never test). The
degradation operator is a separable kernel fitted by least squares
(:func:`mrisr.classical.estimate_kernel`) on the same tuning images, so nothing
about how the LR images were made is assumed. The sampler is seeded TPE; the
study lives in SQLite storage so an interrupted run resumes; trials report the
running mean PSNR after each image and are pruned by the median rule; trials
slower than ``max_seconds`` per image are pruned too.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from mrisr.classical.elrtv import elrtv
from mrisr.classical.kernel import estimate_kernel
from mrisr.data.datasets import find_pairs, load_pair
from mrisr.metrics import psnr, ssim

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TuneData:
    """Tuning images: names, HR and LR arrays, and optionally each image's own operator spec.

    With ``operators`` (one spec per image, e.g. slice profiles of different kinds), each image is solved
    with its own operator instead of the trial's ``operator``.
    """

    names: list[str]
    hr: list[np.ndarray]
    lr: list[np.ndarray]
    operators: list[dict[str, Any]] | None = None


def load_images(root: str | Path, split: str, scale: int, *, start: int = 0, count: int = 12) -> TuneData:
    """Images ``start .. start+count`` (sorted by name) of ``ROOT/<split>`` with stored LR."""
    if start < 0 or count < 1:
        raise ValueError(f"need start >= 0 and count >= 1, got {start} and {count}")
    pairs = find_pairs(root, split, scale, check_sizes=False)[start : start + count]
    if not pairs:
        raise ValueError(f"no images {start}..{start + count} in split {split!r}")
    hl = [load_pair(p, scale) for p in pairs]
    return TuneData([p.name for p in pairs], [h for h, _ in hl], [lr for _, lr in hl])


def fit_operator(data: TuneData, scale: int, *, taps: int = 12) -> dict[str, Any]:
    """Least-squares kernel spec (YAML-friendly) fitted on the tuning pairs."""
    est = estimate_kernel(data.hr, data.lr, scale, taps=taps)
    logger.info("fitted %d-tap kernel: rms %.3f grey levels, %.2f%% exact", len(est.taps_h), est.rms, 100 * est.exact)
    return est.spec()


def search_space(trial: Any, scale: int, rank_mode: str) -> dict[str, Any]:
    """ELRTV options sampled for one trial."""
    p: dict[str, Any] = {
        "rank_mode": rank_mode,
        "lam_tv": trial.suggest_float("lam_tv", 1e-5, 1e-3, log=True),
        "rho": trial.suggest_float("rho", 3e-3, 0.3, log=True),
        "iters": trial.suggest_int("iters", 5, 40),
        "cg_iters": trial.suggest_int("cg_iters", 1, 3),
        "init_eps": trial.suggest_float("init_eps", 1e-4, 1e-1, log=True),
        "edge_adaptive": trial.suggest_float("edge_adaptive", 0.0, 3.0),
        "box": trial.suggest_categorical("box", [False, True]),
        "hf_boost": trial.suggest_float("hf_boost", 0.0, 0.3),
        "bp_iters": trial.suggest_int("bp_iters", 0, 3),
    }
    if rank_mode != "none":
        p["lam_rank"] = trial.suggest_float("lam_rank", 1e-4, 1e-2, log=True)
        p["rho_rank"] = trial.suggest_float("rho_rank", 3e-3, 0.3, log=True)
        p["svd_every"] = trial.suggest_int("svd_every", 1, 8)
    if rank_mode == "patch":
        p["group"] = trial.suggest_categorical("group", [8, 12, 16])
        p["stride"] = trial.suggest_int("stride", 4, 6)
        p["search"] = 4
    if scale >= 4:
        p["steps"] = trial.suggest_categorical("steps", [1, 2])
    return p


def _defaults(scale: int, rank_mode: str) -> dict[str, Any]:
    """A point of the search space (used to list its parameter names)."""
    d: dict[str, Any] = {"lam_tv": 1e-4, "rho": 0.01, "iters": 10, "cg_iters": 2, "init_eps": 0.01,
                         "edge_adaptive": 0.0, "box": True, "hf_boost": 0.0, "bp_iters": 0, "steps": 1,
                         "lam_rank": 1e-3, "rho_rank": 0.01, "svd_every": 1, "group": 8, "stride": 4}
    return d


def evaluate_params(
    data: TuneData, params: dict[str, Any], *, report=None
) -> dict[str, float]:
    """Mean PSNR, SSIM (7x7 uniform) and seconds per image of ELRTV with ``params``.

    ``report(step, running_mean_psnr)`` is called after each image (may raise to prune).
    """
    opts = {k: v for k, v in params.items() if k != "operator"}
    ps, ss, ts = [], [], []
    ops = data.operators or [params["operator"]] * len(data.hr)
    for k, (hr, lr, op) in enumerate(zip(data.hr, data.lr, ops, strict=True)):
        t0 = time.perf_counter()
        sr = elrtv(lr, out_shape=hr.shape, operator=op, record_energy=False, **opts).image
        ts.append(time.perf_counter() - t0)
        ps.append(psnr(sr, hr))
        ss.append(ssim(sr, hr))
        if report is not None:
            report(k, float(np.mean(ps)), float(np.mean(ts)))
    return {"psnr": float(np.mean(ps)), "ssim": float(np.mean(ss)), "seconds": float(np.mean(ts))}


def tune(
    data: TuneData,
    scale: int,
    *,
    trials: int,
    storage: str | None = None,
    study_name: str | None = None,
    seed: int = 0,
    rank_mode: str = "none",
    max_seconds: float = 1.0,
    taps: int = 12,
    progress: bool = True,
    first: dict[str, Any] | None = None,
    fixed: dict[str, Any] | None = None,
    operator: dict[str, Any] | None = None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Run (or resume) a study until it holds ``trials`` finished trials.

    ``first`` (e.g. an earlier preset) is enqueued as the first trial of a new
    study (only its keys that are searched are used). ``fixed`` options are
    set in every trial and in the result (they override searched ones).
    ``operator`` (an operator spec) replaces the kernel fitted on the images,
    for degradations known by construction (e.g. a slice profile).

    Returns
    -------
    params : dict
        Best ELRTV parameters, including the fitted ``operator``.
    meta : dict
        Study name, trial counts and the best trial's metrics.
    """
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    operator = fit_operator(data, scale, taps=taps) if operator is None else dict(operator)
    name = study_name or f"elrtv-x{scale}-{rank_mode}"
    study = optuna.create_study(
        study_name=name,
        storage=storage,
        direction="maximize",
        sampler=optuna.samplers.TPESampler(seed=seed, n_startup_trials=min(10, max(1, trials // 3))),
        pruner=optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=max(1, len(data.hr) // 3)),
        load_if_exists=True,
    )
    done = [t for t in study.trials if t.state in (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED)]

    def objective(trial: optuna.Trial) -> float:
        params = {**search_space(trial, scale, rank_mode), **(fixed or {}), "operator": operator}

        def report(step: int, value: float, seconds: float) -> None:
            if step >= 1 and seconds > max_seconds:
                raise optuna.TrialPruned(f"{seconds:.2f} s/image > {max_seconds}")
            trial.report(value, step)
            if trial.should_prune():
                raise optuna.TrialPruned()

        m = evaluate_params(data, params, report=report)
        trial.set_user_attr("ssim", m["ssim"])
        trial.set_user_attr("seconds", m["seconds"])
        return m["psnr"]

    if first and not study.trials:
        names = set(search_space(optuna.trial.FixedTrial(_defaults(scale, rank_mode)), scale, rank_mode))
        study.enqueue_trial({k: v for k, v in first.items() if k in names and k != "rank_mode"},
                            skip_if_exists=True)
    remaining = max(0, trials - len(done))
    study.optimize(objective, n_trials=remaining, show_progress_bar=progress)
    best = study.best_trial
    params = {**search_space(optuna.trial.FixedTrial(best.params), scale, rank_mode), **(fixed or {}),
              "operator": operator}
    meta = {"study": name, "trials": len(study.trials), "best_trial": best.number, "psnr": best.value,
            "ssim": best.user_attrs.get("ssim"), "seconds": best.user_attrs.get("seconds")}
    return params, meta


def preset_yaml(params: dict[str, Any], *, header: list[str]) -> str:
    """YAML text of ``{'params': params}`` with ``#`` comment lines first."""
    import yaml

    def plain(v: Any) -> Any:
        if isinstance(v, dict):
            return {k: plain(x) for k, x in v.items()}
        if isinstance(v, (list, tuple)):
            return [plain(x) for x in v]
        if isinstance(v, np.generic):
            return v.item()
        return v

    body = yaml.safe_dump({"params": plain(params)}, sort_keys=False, default_flow_style=None, width=100)
    return "".join(f"# {line}\n" if line else "#\n" for line in header) + body


def measure(data: TuneData, params: dict[str, Any]) -> dict[str, float]:
    """Bicubic and ELRTV metrics on ``data`` (for preset headers and reports)."""
    from mrisr.data.resize import resize

    bic_p, bic_s = [], []
    for hr, lr in zip(data.hr, data.lr, strict=True):
        b = resize(lr, hr.shape, kernel="bicubic", antialias=False, clip=True)
        bic_p.append(psnr(b, hr))
        bic_s.append(ssim(b, hr))
    m = evaluate_params(data, params)
    return {"bicubic_psnr": float(np.mean(bic_p)), "bicubic_ssim": float(np.mean(bic_s)),
            "psnr": m["psnr"], "ssim": m["ssim"], "seconds": m["seconds"]}
