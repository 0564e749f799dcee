"""One unit of batch work: super-resolve one input into one output file (run locally or on a Dask worker)."""

from __future__ import annotations

import functools
import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from mrisr._atomic import atomic_write_text
from mrisr.data.io import is_image_file
from mrisr.errors import InputError

#: method parameters that change where or how fast an output is computed, not what it is
RUNTIME_PARAMS = frozenset({"device", "chunk", "batch_size"})


@dataclass(frozen=True)
class Job:
    """How to super-resolve an input (the same options as ``mrisr upscale``).

    Exactly one of ``scale``, ``size``, ``through_plane`` or ``isotropic``
    sets the output size. ``threads`` caps PyTorch's and BLAS's threads while
    the job runs (1 makes results independent of the machine's core count).
    """

    method: str
    params: dict[str, Any] = field(default_factory=dict)
    scale: float | None = None
    size: tuple[int, int] | None = None
    through_plane: float | None = None
    isotropic: bool = False
    axis: int | None = None
    profile: str = "box"
    thickness: float | None = None
    dtype: str = "input"
    bits: int = 16
    threads: int | None = None

    def record(self) -> dict[str, Any]:
        """The options that decide the output, as the manifest keeps them (JSON-ready, no runtime options).

        Weight files the job names (``liif:PATH`` as the method or as a ``liif-selfsup`` ``base``, e.g. a
        ``--reuse-model``) are recorded by content (``weights``: path -> SHA-256), so replacing one under the
        same name makes a rerun redo its outputs.
        """
        from mrisr.methods.spec import parse_spec

        rec = asdict(self)
        rec.pop("threads")
        rec.pop("method")
        rec["params"] = {k: v for k, v in sorted(self.params.items()) if k not in RUNTIME_PARAMS}
        rec["size"] = list(self.size) if self.size else None
        named = [spec.arg for spec in map(parse_spec, filter(None, (self.method, self.params.get("base"))))
                 if spec.name == "liif" and spec.arg]
        if named:
            rec["weights"] = {path: _content_hash(path) for path in named}
        return json.loads(json.dumps(rec, sort_keys=True, default=str))


def _content_hash(path: str) -> str | None:
    """SHA-256 of a weight file, read once per version of it (path, size, mtime); None when it is missing."""
    try:
        st = Path(path).stat()
    except OSError:
        return None
    return _hash_version(str(Path(path).resolve()), st.st_size, st.st_mtime_ns)


@functools.lru_cache(maxsize=32)
def _hash_version(path: str, size: int, mtime_ns: int) -> str:
    from mrisr.weights import sha256_of

    return sha256_of(path)


@dataclass(frozen=True)
class Task:
    """A job bound to its input and output paths (and an optional JSON sidecar written beside the output)."""

    source: Path
    output: Path
    job: Job
    sidecar: dict[str, Any] | None = None

    def sidecar_path(self) -> Path:
        name = self.output.name
        stem = name[:-7] if name.lower().endswith(".nii.gz") else self.output.stem
        return self.output.with_name(stem + ".json")


def _image(task: Task) -> None:
    from mrisr.data.io import read_image, write_image
    from mrisr.data.resize import check_scale
    from mrisr.methods import make_method
    from mrisr.tiling import check_output_fits

    job = task.job
    if job.through_plane is not None or job.isotropic:
        raise InputError("--through-plane and --isotropic apply to volumes", task.source)
    image = read_image(task.source)
    scale = check_scale(job.scale) if job.size is None else job.size[0] / image.shape[0]
    shape = job.size or (round(image.shape[0] * scale), round(image.shape[1] * scale))
    check_output_fits(shape)
    method = make_method(job.method, scale=scale, params=job.params)
    write_image(task.output, method(image, shape), bits=job.bits)


def _volume(task: Task) -> None:
    from mrisr.volume import upscale_through_plane_file, upscale_volume_file

    job = task.job
    if job.through_plane is not None or job.isotropic:
        upscale_through_plane_file(
            task.source, task.output, factor=job.through_plane, axis=job.axis, method=job.method,
            params=job.params, profile=job.profile, thickness=job.thickness, dtype=job.dtype, progress=False,
        )
        return
    upscale_volume_file(
        task.source, task.output, scale=None if job.size else job.scale, size=job.size,
        axis=2 if job.axis is None else job.axis, method=job.method, params=job.params, dtype=job.dtype,
        progress=False,
    )


def process(task: Task) -> float:
    """Write ``task.output`` (and its sidecar) atomically; return the seconds it took.

    Every file is written under a temporary name and renamed, so an
    interrupted or failed task leaves no partial output. Raises whatever
    reading or super-resolving the input raises.
    """
    from mrisr.devices import limit_threads

    start = time.perf_counter()
    task.output.parent.mkdir(parents=True, exist_ok=True)
    with limit_threads(task.job.threads):
        if is_image_file(task.source):
            _image(task)
        else:
            _volume(task)
    if task.sidecar is not None:
        atomic_write_text(task.sidecar_path(), json.dumps(task.sidecar, indent=2) + "\n")
    return time.perf_counter() - start
