"""The records of ``mrisr report``: what it is asked to do, and what it measured and wrote.

They live apart from :mod:`mrisr.report.build` (which makes them) so that the
writers (:mod:`mrisr.report.tables`) can name them without importing the builder.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from mrisr.data.datasets import Pair
from mrisr.evaluation import EvalResult
from mrisr.report import logs
from mrisr.report.stats import MethodStats


@dataclass(frozen=True)
class ReportOptions:
    """What ``mrisr report`` is asked to do (see the CLI for each option)."""

    data: Path
    split: str
    scales: tuple[float, ...]
    methods: tuple[str, ...]
    out: Path
    images: int | tuple[str, ...] | None = None
    box: tuple[int, int, int, int] | None = None
    logs: tuple[str, ...] = ()
    published: Path | None = None
    use_cache: bool = True
    cache_dir: Path | None = None
    params: dict[str, dict[str, Any]] = field(default_factory=dict)
    device: str | None = None
    shave: int = 0
    limit: int | None = None
    on_the_fly: bool | None = None
    baseline: str = "bicubic"
    confidence: float = 0.95
    n_resamples: int = 9999
    seed: int = 0
    ci_method: str = "bca"
    progress: bool = True
    command: str = ""


@dataclass
class ScaleRun:
    """Everything measured at one scale."""

    scale: float
    pairs: list[Pair]
    result: EvalResult
    stats: list[MethodStats] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    info: dict[str, dict[str, Any]] = field(default_factory=dict)
    cached: dict[str, bool] = field(default_factory=dict)
    outputs: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)


@dataclass
class Report:
    """What :func:`build_report` produced."""

    out: Path
    files: list[Path]
    scales: list[ScaleRun]
    figure_images: list[str]
    curves: list[logs.Curve]
    boxes: dict[str, tuple] = field(default_factory=dict)
