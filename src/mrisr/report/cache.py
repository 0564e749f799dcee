"""On-disk cache of per-method evaluation results for ``mrisr report``.

One entry per (method spec, parameters, data, split, scale, shave, package
version): the per-image metric rows as JSON and the SR outputs kept for the
figures as an ``.npz`` (read with ``allow_pickle=False``). The data part of the
key hashes the names and bytes of every HR and LR file, and a method argument
that names a file (a checkpoint) adds that file's size and modification time,
so changed data or weights miss the cache.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from mrisr._atomic import atomic_write_bytes, atomic_write_text
from mrisr.data.datasets import Pair

logger = logging.getLogger(__name__)

CACHE_FORMAT = 1


def default_cache_dir() -> Path:
    """``$MRISR_CACHE`` or ``$XDG_CACHE_HOME/mrisr/report`` (``~/.cache/mrisr/report``)."""
    if os.environ.get("MRISR_CACHE"):
        return Path(os.environ["MRISR_CACHE"]) / "report"
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "mrisr" / "report"


def data_fingerprint(pairs: list[Pair]) -> str:
    """SHA-256 over the names and bytes of the HR and stored LR files of ``pairs``."""
    h = hashlib.sha256()
    for p in pairs:
        h.update(p.name.encode())
        for path in (p.hr_path, p.lr_path):
            h.update(b"\0" if path is None else hashlib.sha256(Path(path).read_bytes()).digest())
    return h.hexdigest()


def _arg_fingerprint(spec: str) -> str | None:
    from mrisr.methods.spec import parse_spec
    from mrisr.weights import weight_hashes

    parsed = parse_spec(spec)
    name, arg = parsed.name, parsed.arg
    if arg and Path(arg).is_file():
        st = Path(arg).stat()
        return f"{Path(arg).resolve()}|{st.st_size}|{st.st_mtime_ns}"
    shipped = weight_hashes(name)  # shipped weights change with the install
    return "|".join(shipped) if shipped else None


def cache_key(
    spec: str,
    *,
    scale: float,
    split: str,
    data: str,
    params: dict[str, Any] | None = None,
    shave: int = 0,
) -> str:
    """Hex key of one method's evaluation; ``data`` is :func:`data_fingerprint`."""
    from mrisr.version import __version__

    record = {
        "format": CACHE_FORMAT,
        "version": __version__,
        "spec": spec,
        "arg_file": _arg_fingerprint(spec),
        "params": params or {},
        "scale": float(scale),
        "split": split,
        "data": data,
        "shave": int(shave),
    }
    blob = json.dumps(record, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:32]


@dataclass
class CachedRun:
    """Per-image rows (``EvalResult.rows`` of one method) and kept SR outputs."""

    rows: list[dict[str, Any]]
    outputs: dict[str, np.ndarray] = field(default_factory=dict)


class ResultCache:
    """A folder of cached runs; ``enabled=False`` reads nothing but still writes.

    Parameters
    ----------
    folder : str or Path
        Cache folder (created on first write).
    enabled : bool, default True
        ``False`` (``--no-cache``) forces every method to run again; the fresh
        results replace the cached ones.
    """

    def __init__(self, folder: str | Path, *, enabled: bool = True) -> None:
        self.folder = Path(folder)
        self.enabled = enabled

    def _paths(self, key: str) -> tuple[Path, Path]:
        return self.folder / f"{key}.json", self.folder / f"{key}.npz"

    def load(self, key: str) -> CachedRun | None:
        """The cached run for ``key``, or None (disabled, absent or unreadable)."""
        if not self.enabled:
            return None
        rows_path, out_path = self._paths(key)
        if not rows_path.is_file():
            return None
        try:
            rows = json.loads(rows_path.read_text(encoding="utf-8"))["rows"]
            outputs: dict[str, np.ndarray] = {}
            if out_path.is_file():
                with np.load(out_path, allow_pickle=False) as z:
                    names = json.loads(str(z["__names__"]))
                    outputs = {n: z[f"o{i}"] for i, n in enumerate(names)}
        except (OSError, ValueError, KeyError) as exc:
            logger.warning("ignoring unreadable cache entry %s (%s)", rows_path, exc)
            return None
        for r in rows:  # JSON has no inf/nan literals of its own: restore them
            for k, v in r.items():
                if isinstance(v, str) and v in ("inf", "-inf", "nan"):
                    r[k] = float(v)
        return CachedRun(rows=rows, outputs=outputs)

    def save(self, key: str, run: CachedRun, *, meta: dict[str, Any] | None = None) -> None:
        """Store ``run`` under ``key`` (atomically; outputs first, rows last)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        rows_path, out_path = self._paths(key)
        names = list(run.outputs)
        buf = io.BytesIO()
        arrays = {
            f"o{i}": np.asarray(run.outputs[n], dtype=np.float32) for i, n in enumerate(names)
        }
        np.savez_compressed(buf, __names__=np.array(json.dumps(names)), **arrays)
        atomic_write_bytes(out_path, buf.getvalue())
        rows = [
            {
                k: (str(v) if isinstance(v, float) and not np.isfinite(v) else v)
                for k, v in r.items()
            }
            for r in run.rows
        ]
        atomic_write_text(rows_path, json.dumps({"meta": meta or {}, "rows": rows}, indent=1))
