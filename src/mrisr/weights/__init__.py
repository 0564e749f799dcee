"""Shipped model weights: an index of safetensors files with SHA-256 and model cards.

``index.json`` beside this file lists each weight file once, with the method
names it serves (e.g. one multi-scale model may serve ``liif-x2`` and
``liif-x4``), the scales it was validated at and its model card.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path

from mrisr.errors import InputError


@dataclass(frozen=True)
class WeightEntry:
    """One shipped weight file."""

    file: str
    sha256: str
    methods: tuple[str, ...]
    scales: tuple[float, ...]  # one per method name: the scale that name is validated for
    card: str
    description: str = ""
    default: bool = True  # a candidate for ``mrisr upscale`` without --method (False for off-domain models)
    # {scale: {"range": ...}} of its training inputs, where they are not IXI's stored LR images
    intensity: dict | None = field(default=None, hash=False, compare=False)
    # (lo, hi): an arbitrary-scale model validated for every scale in this range (its ``scales`` then
    # name the scale its intensity reference is taken at); None: each name only at its own scale
    scale_range: tuple[float, float] | None = None
    # the resampling family of its training LR images (None: many, a blind model); see MethodInfo.trained_on
    trained_on: str | None = "gaussian"
    # scale -> the shipped method a blind model hands an input read as the study's own pipeline at that scale
    specialists: dict[float, str] = field(default_factory=dict, hash=False, compare=False)

    def validated_for(self, method: str, scale: float) -> bool:
        """Whether method name ``method`` of this file is validated for ``scale``."""
        lo, hi = self.scale_range or (self.scales[self.methods.index(method)],) * 2
        return lo - 1e-6 <= scale <= hi + 1e-6

    def validated_text(self, method: str) -> str:
        """``'scale 2'`` or ``'scales 1.5-4'``: what ``method`` is validated for, in words."""
        if self.scale_range:
            return f"scales {self.scale_range[0]:g}-{self.scale_range[1]:g}"
        return f"scale {self.scales[self.methods.index(method)]:g}"

    @property
    def path(self) -> Path:
        return Path(str(resources.files(__name__) / self.file))

    @property
    def card_path(self) -> Path:
        return Path(str(resources.files(__name__) / self.card))


@dataclass(frozen=True)
class EnsembleEntry:
    """A shipped output ensemble: the pixel-wise mean of several shipped methods' outputs."""

    method: str
    members: tuple[str, ...]  # shipped method names, each served by one weight file
    scale: float  # the scale the ensemble is validated for
    card: str = ""
    description: str = ""

    @property
    def card_path(self) -> Path:
        return Path(str(resources.files(__name__) / self.card))


@lru_cache(maxsize=1)
def _index_data() -> dict:
    f = resources.files(__name__) / "index.json"
    return json.loads(f.read_text(encoding="utf-8")) if f.is_file() else {}


def index() -> tuple[WeightEntry, ...]:
    """All weight entries of ``index.json`` (empty when no weights are shipped)."""
    return tuple(
        WeightEntry(
            file=e["file"], sha256=e["sha256"], methods=tuple(e["methods"]),
            scales=tuple(float(s) for s in e["scales"]), card=e["card"], description=e.get("description", ""),
            default=bool(e.get("default", True)), intensity=e.get("intensity", {}).get("scales"),
            scale_range=tuple(float(v) for v in e["scale_range"]) if e.get("scale_range") else None,
            trained_on=e.get("trained_on", "gaussian"),
            specialists={float(k): v for k, v in e.get("specialists", {}).items()},
        )
        for e in _index_data().get("weights", [])
    )


def ensembles() -> tuple[EnsembleEntry, ...]:
    """The output ensembles of ``index.json`` (never defaults for ``mrisr upscale``)."""
    return tuple(
        EnsembleEntry(method=e["method"], members=tuple(e["members"]), scale=float(e["scale"]),
                      card=e.get("card", ""), description=e.get("description", ""))
        for e in _index_data().get("ensembles", [])
    )


def weight_hashes(method: str) -> tuple[str, ...]:
    """SHA-256 of the weight files behind shipped method name ``method`` (one per member of an ensemble)."""
    for ens in ensembles():
        if ens.method == method:
            return tuple(h for m in ens.members for h in weight_hashes(m))
    return tuple(e.sha256 for e in index() if method in e.methods)


def entry_for(method: str) -> WeightEntry:
    """The entry that serves method name ``method`` (e.g. ``'liif-x2'``)."""
    for e in index():
        if method in e.methods:
            return e
    names = sorted(m for e in index() for m in e.methods)
    raise ValueError(f"no shipped weights for {method!r} (available: {', '.join(names) or 'none'})")


def sha256_of(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _checked(p: Path, sha256: str) -> Path:
    if not p.is_file():
        raise InputError("shipped weight file is missing from the installation", p)
    if sha256_of(p) != sha256:
        raise InputError("shipped weight file does not match its SHA-256 (corrupt install?)", p)
    return p


def verified_path(entry: WeightEntry) -> Path:
    """The entry's file, after checking its SHA-256."""
    return _checked(entry.path, entry.sha256)


def reader_path(file: str) -> Path:
    """A shipped reader's file (``index.json``'s ``readers``: not an SR model), after checking its SHA-256."""
    for r in _index_data().get("readers", []):
        if r["file"] == file:
            return _checked(Path(str(resources.files(__name__) / file)), r["sha256"])
    raise InputError("not listed under 'readers' in the weights index", file)
