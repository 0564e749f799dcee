"""Read validation curves from training logs and published points.

Two log kinds are understood:

* our CSV, ``metrics.csv`` in a run folder, with columns ``step, epoch,
  wall_hours, train_loss, lr, val_psnr, val_ssim`` (validation columns empty
  on rows without validation);
* TensorBoard event files with the scalar ``val/psnr`` (wall time from the
  events; the epoch from a scalar ``epoch`` or ``train/epoch`` when logged).

A log argument may be ``LABEL=PATH`` to name the run; otherwise the run folder
name is used.
"""

from __future__ import annotations

import csv
import logging
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mrisr.errors import InputError

logger = logging.getLogger(__name__)

CSV_NAME = "metrics.csv"
CSV_COLUMNS = ("epoch", "wall_hours", "val_psnr")
TB_PSNR = "val/psnr"
TB_EPOCH_TAGS = ("epoch", "train/epoch")
PUBLISHED_COLUMNS = ("run", "epoch", "val_psnr")


@dataclass
class Curve:
    """Validation PSNR of one run.

    ``epoch`` may be None (TensorBoard logs without an epoch scalar): the
    run is then drawn against hours only.
    """

    label: str
    val_psnr: np.ndarray
    hours: np.ndarray
    epoch: np.ndarray | None
    source: str


def split_label(arg: str) -> tuple[str | None, Path]:
    """``'x2=runs/a'`` -> ``('x2', Path('runs/a'))``; a plain existing path keeps no label."""
    if "=" in arg and not Path(arg).exists():
        label, _, path = arg.partition("=")
        return (label.strip() or None), Path(path)
    return None, Path(arg)


def _float(text: str, path: Path, line: int, column: str) -> float:
    try:
        return float(text) if text.strip() else math.nan
    except ValueError:
        raise InputError(
            f"line {line}: column {column!r} is not a number: {text!r}", path
        ) from None


def read_csv_log(path: Path, label: str | None = None) -> Curve:
    """Read our ``metrics.csv``; rows with an empty ``val_psnr`` are skipped."""
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in CSV_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise InputError(f"training log lacks column(s) {', '.join(missing)}", path)
        pts = []
        for line, row in enumerate(reader, start=2):
            v = _float(row["val_psnr"] or "", path, line, "val_psnr")
            if math.isfinite(v):
                pts.append(
                    (
                        _float(row["epoch"] or "", path, line, "epoch"),
                        _float(row["wall_hours"] or "", path, line, "wall_hours"),
                        v,
                    )
                )
    if not pts:
        raise InputError("training log has no rows with val_psnr", path)
    ep, hours, psnr = (np.array(c, dtype=np.float64) for c in zip(*pts, strict=True))
    name = label or (path.parent.name if path.name == CSV_NAME else path.stem)
    return Curve(label=name, val_psnr=psnr, hours=hours, epoch=ep, source=str(path))


def read_tensorboard_log(path: Path, label: str | None = None) -> Curve:
    """Read ``val/psnr`` (and an epoch scalar when present) from event files.

    ``path`` is an event file or a folder holding them. Hours are counted
    from the earliest event of any scalar.
    """
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    acc = EventAccumulator(str(path), size_guidance={"scalars": 0})
    acc.Reload()
    tags = acc.Tags().get("scalars", [])
    if TB_PSNR not in tags:
        raise InputError(
            f"no {TB_PSNR!r} scalar in TensorBoard events (found: {', '.join(tags) or 'none'})",
            path,
        )
    t0 = min(e.wall_time for t in tags for e in acc.Scalars(t))
    events = acc.Scalars(TB_PSNR)
    steps = np.array([e.step for e in events])
    psnr = np.array([e.value for e in events], dtype=np.float64)
    hours = (np.array([e.wall_time for e in events]) - t0) / 3600.0
    epoch = None
    etag = next((t for t in TB_EPOCH_TAGS if t in tags), None)
    if etag is not None:
        by_step = sorted((e.step, e.value) for e in acc.Scalars(etag))
        es, ev = (
            np.array([s for s, _ in by_step]),
            np.array([v for _, v in by_step], dtype=np.float64),
        )
        pos = np.clip(np.searchsorted(es, steps, side="right") - 1, 0, len(es) - 1)
        epoch = ev[pos]
    else:
        logger.warning(
            "%s: no epoch scalar (%s); run drawn against hours only",
            path,
            " or ".join(TB_EPOCH_TAGS),
        )
    folder = path if path.is_dir() else path.parent
    return Curve(
        label=label or folder.name, val_psnr=psnr, hours=hours, epoch=epoch, source=str(path)
    )


def read_log(arg: str) -> Curve:
    """Read one ``--logs`` argument: a CSV, an event file, or a run folder holding either.

    Raises
    ------
    InputError
        Missing path, a folder with no log, or a log without validation PSNR.
    """
    label, path = split_label(arg)
    if not path.exists():
        raise InputError("training log not found", path)
    if path.is_dir():
        if (path / CSV_NAME).is_file():
            return read_csv_log(path / CSV_NAME, label)
        if not any(path.rglob("events.out.tfevents.*")):
            raise InputError(f"folder holds neither {CSV_NAME} nor TensorBoard event files", path)
        return read_tensorboard_log(path, label)
    if path.name.startswith("events.out.tfevents"):
        return read_tensorboard_log(path, label)
    if path.suffix.lower() == ".csv":
        return read_csv_log(path, label)
    raise InputError(
        "not a training log (expected a .csv, an events.out.tfevents.* file or a run folder)", path
    )


def read_published(path: str | Path) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Read published validation points: CSV columns ``run, epoch, val_psnr``.

    Returns
    -------
    dict
        Run name -> (epochs, val_psnr), in file order.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError("published-points CSV not found", path)
    runs: dict[str, list[tuple[float, float]]] = {}
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in PUBLISHED_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise InputError(f"published-points CSV lacks column(s) {', '.join(missing)}", path)
        for line, row in enumerate(reader, start=2):
            ep = _float(row["epoch"] or "", path, line, "epoch")
            v = _float(row["val_psnr"] or "", path, line, "val_psnr")
            if not (math.isfinite(ep) and math.isfinite(v)):
                raise InputError(f"line {line}: epoch and val_psnr are required", path)
            runs.setdefault((row["run"] or "").strip() or "published", []).append((ep, v))
    if not runs:
        raise InputError("published-points CSV has no rows", path)
    return {k: (np.array([e for e, _ in v]), np.array([p for _, p in v])) for k, v in runs.items()}
