"""Training configuration: YAML validated into frozen dataclasses."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mrisr.config import from_dict, load_yaml, with_overrides


@dataclass(frozen=True)
class ModelSpec:
    """Registry name and constructor arguments of the model."""

    name: str = "liif"
    args: dict[str, Any] = field(default_factory=dict)


#: how synthetic LR images are brought to 8 bits (see :func:`mrisr.train.data.quantise`)
QUANTISE = ("round", "floor", "none")


@dataclass(frozen=True)
class DataConfig:
    """Where training pairs come from and how patches are drawn.

    ``pairs`` lists ``[lr, hr]`` folder scales in the study layout: ``[2, 1]``
    pairs ``<split> x2`` (LR) with ``<split>`` (HR) at scale 2; ``[4, 2]`` pairs
    ``<split> x4`` with ``<split> x2`` (the off-domain 64 -> 128 task). With
    ``mode: on_the_fly`` the HR images are degraded during training at a scale
    drawn uniformly from ``scale_range`` (non-integer scales included).
    ``mode: synthetic`` makes the pairs of ``pairs`` (``[s, 1]`` only) from the
    HR images with an explicit degradation ``operator`` (a
    :func:`mrisr.classical.operators.make_operator` spec, e.g. a kernel fitted
    with ``mrisr.classical.estimate_kernel`` on training pairs), applied to the
    whole image after a random shift of 0..s-1 HR pixels per axis: the same
    degradation as the stored pairs, seen at all s*s sampling phases instead
    of one. ``quantise`` (``round``, ``floor`` or ``none``) is how synthetic LR
    images are brought to 8 bits.
    ``synthetic_from: 2`` makes those pairs from the ``<split> x2`` images
    instead of the HR images (pairs one level down: a 4x pair is then 32 -> 128
    px), for a model that is to see no HR image, such as the off-domain model.
    ``holdout: N`` keeps N training images out of training (the same N for
    every run and seed, see :func:`mrisr.data.datasets.holdout_names`) and
    validates on them as well, for comparisons that 6 val images cannot resolve.
    ``prior`` (with ``mode: on_the_fly``) names a :data:`mrisr.data.blind.PRIORS`
    distribution: each batch draws its scale from it and each image its own
    contrast change and acquisition (``degradation``, ``scale_range`` and
    ``quantise`` are then unused; the prior stores its own bits).
    ``val_degradations`` validates on the HR images of the val split (and the
    held-out ones) degraded by each of these specs at each of ``val_scales``
    (image ``i`` with seed ``i``), and keeps ``best.pt`` by their mean PSNR.
    """

    root: str
    train_split: str = "train"
    val_split: str = "val"
    mode: str = "stored"
    pairs: tuple[tuple[int, ...], ...] = ((2, 1),)
    val_pairs: tuple[tuple[int, ...], ...] | None = None
    scale_range: tuple[float, ...] = (1.0, 4.0)
    degradation: str = "bicubic"
    lr_patch: int = 48
    lr_patch_final: int | None = None
    queries: int = 2304
    foreground_min: float = 0.3
    augment: bool = True
    val_limit: int | None = None
    holdout: int = 0
    operator: dict | None = None
    quantise: str = "round"
    synthetic_from: int = 1
    prior: str | None = None
    val_degradations: tuple[str, ...] = ()
    val_scales: tuple[float, ...] = (2.0, 4.0)

    def __post_init__(self) -> None:
        self._check_degradations()
        if self.mode not in ("stored", "on_the_fly", "synthetic"):
            raise ValueError(f"data.mode must be 'stored', 'on_the_fly' or 'synthetic', got {self.mode!r}")
        if self.quantise not in QUANTISE:
            raise ValueError(f"data.quantise must be one of {list(QUANTISE)}, got {self.quantise!r}")
        if self.synthetic_from < 1 or (self.synthetic_from != 1 and self.mode != "synthetic"):
            raise ValueError(f"data.synthetic_from must be >= 1 and needs data.mode 'synthetic', got "
                             f"{self.synthetic_from} with mode {self.mode!r}")
        if self.mode == "synthetic":
            if not self.operator:
                raise ValueError("data.mode 'synthetic' needs data.operator (e.g. {kind: kernel, taps_h: [...]})")
            if any(p[1] != 1 for p in self.pairs):
                raise ValueError(f"data.mode 'synthetic' makes [s, 1] pairs only, got {[list(p) for p in self.pairs]}")
        for p in (*self.pairs, *(self.val_pairs or ())):
            if len(p) != 2 or p[0] <= p[1] or p[0] % p[1]:
                raise ValueError(f"data pairs must be [lr, hr] with lr a multiple of hr > hr, got {list(p)}")
        if len(self.scale_range) != 2 or not 1.0 <= self.scale_range[0] <= self.scale_range[1] <= 16:
            raise ValueError(f"data.scale_range must be [lo, hi] within [1, 16], got {list(self.scale_range)}")
        if self.lr_patch < 8:
            raise ValueError(f"data.lr_patch must be >= 8, got {self.lr_patch}")
        if self.queries < 0:
            raise ValueError(f"data.queries must be >= 0 (0 = all pixels), got {self.queries}")
        if self.holdout < 0:
            raise ValueError(f"data.holdout must be >= 0, got {self.holdout}")

    def _check_degradations(self) -> None:
        """A prior needs on-the-fly pairs and must exist; validation specs must parse."""
        from mrisr.data.blind import PRIORS
        from mrisr.data.degrade import parse_degradation

        if self.prior is not None:
            if self.mode != "on_the_fly":
                raise ValueError(f"data.prior needs data.mode 'on_the_fly', got {self.mode!r}")
            PRIORS.get(self.prior)  # unknown: ValueError naming the closest spelling
        for spec in self.val_degradations:
            parse_degradation(spec)
        if not self.val_scales or any(not 1.0 < float(s) <= 16 for s in self.val_scales):
            raise ValueError(f"data.val_scales must be scales in (1, 16], got {list(self.val_scales)}")


@dataclass(frozen=True)
class OptimConfig:
    """Adam and the learning-rate schedule."""

    lr: float = 2e-4
    betas: tuple[float, ...] = (0.9, 0.999)
    weight_decay: float = 0.0
    schedule: str = "cosine"
    warmup_steps: int = 0
    min_lr_ratio: float = 0.01
    milestones: tuple[int, ...] = ()
    gamma: float = 0.5
    grad_clip: float | None = None

    def __post_init__(self) -> None:
        if self.schedule not in ("cosine", "multistep", "constant"):
            raise ValueError(f"optim.schedule must be cosine, multistep or constant, got {self.schedule!r}")
        if self.lr <= 0:
            raise ValueError(f"optim.lr must be > 0, got {self.lr}")


@dataclass(frozen=True)
class RenderConfig:
    """Train through a known degradation instead of on the target grid itself.

    The model renders each target patch on a grid ``factor`` times finer, the
    ``operator`` (a :func:`mrisr.classical.operators.make_operator` spec from
    that fine grid to the target grid, its ``bias`` included) degrades the
    rendering, and the loss compares the result with the target, leaving out
    ``margin`` target pixels at each patch edge, where the operator's support
    reaches past the rendered patch. With ``data.pairs: [[4, 2]]`` and IXI's
    documented 2x operator (``{kind: gaussian, sigma: 1.0, bias: -0.5/255}``)
    the off-domain model learns to render 64 -> 256 from 64 -> 128 pairs only:
    no 256-px image is used, but the rendering is asked to be one whose known
    2x degradation is the stored 128-px image, rather than that blurred image
    itself.
    """

    factor: int = 2
    operator: dict = field(default_factory=lambda: {"kind": "gaussian", "sigma": 1.0})
    margin: int = 2

    def __post_init__(self) -> None:
        if self.factor < 2:
            raise ValueError(f"render.factor must be >= 2, got {self.factor}")
        if self.margin < 0:
            raise ValueError(f"render.margin must be >= 0, got {self.margin}")
        if not isinstance(self.operator, dict) or "kind" not in self.operator:
            raise ValueError(f"render.operator must be a mapping with 'kind', got {self.operator!r}")


@dataclass(frozen=True)
class TrainConfig:
    """A whole training run.

    ``amp`` enables float16 autocast with loss scaling on CUDA; ``cpu_bf16``
    enables bfloat16 autocast on the CPU (about 2x faster on CPUs with
    AVX512-BF16 or AMX; weights, optimiser state, validation and checkpoints
    stay float32). ``init`` names a ``.safetensors`` weight file or ``.pt``
    checkpoint with the same model spec whose (EMA) weights start the run (or a
    LIIF with a narrower MLP of the same depth, grown function-preservingly); it
    is recorded in the run's checkpoints. ``threads`` sets torch's CPU threads
    and caps numpy's BLAS threads while the run trains.
    ``loss`` is ``l1`` (mean absolute error, the LIIF default) or ``l2`` (mean
    squared error, the quantity PSNR measures; e.g. for a last stage).
    ``render`` (a :class:`RenderConfig`) computes that loss through a known
    degradation of a finer rendering; it needs ``data.queries: 0`` (whole
    target patches). ``aux_data`` (a second :class:`DataConfig`) supplies every
    ``aux_every``-th batch, trained on its targets directly (never through
    ``render``); validation and epochs follow ``data``.
    """

    data: DataConfig
    model: ModelSpec = field(default_factory=ModelSpec)
    optim: OptimConfig = field(default_factory=OptimConfig)
    name: str = "run"
    seed: int = 0
    steps: int = 10000
    batch_size: int = 16
    ema: float | None = None
    val_every: int = 500
    ckpt_every: int = 500
    keep_every: int | None = None
    log_every: int = 20
    device: str = "auto"
    amp: bool = True
    cpu_bf16: bool = False
    threads: int | None = None
    init: str | None = None
    loss: str = "l1"
    render: RenderConfig | None = None
    aux_data: DataConfig | None = None
    aux_every: int = 2

    def __post_init__(self) -> None:
        if self.loss not in ("l1", "l2"):
            raise ValueError(f"loss must be l1 or l2, got {self.loss!r}")
        if self.render is not None:
            if self.data.queries != 0:
                raise ValueError(f"render needs whole target patches (data.queries: 0), got {self.data.queries}")
            if self.data.mode == "on_the_fly":
                raise ValueError("render needs integer-scale pairs (data.mode 'stored' or 'synthetic')")
            side = min(self.data.lr_patch * (a // b) for a, b in self.data.pairs)
            if 2 * self.render.margin >= side:
                raise ValueError(f"render.margin {self.render.margin} leaves nothing of a {side}-px target patch")
        for k in ("steps", "batch_size", "val_every", "ckpt_every", "log_every", "aux_every"):
            if getattr(self, k) < 1:
                raise ValueError(f"{k} must be >= 1, got {getattr(self, k)}")
        if self.ema is not None and not 0.0 < self.ema < 1.0:
            raise ValueError(f"ema must be in (0, 1) or null, got {self.ema}")


def load_train_config(path: str | Path, overrides: list[str] | None = None) -> TrainConfig:
    """Read a YAML training config, apply ``key.sub=value`` overrides, validate."""
    return parse_train_config(with_overrides(load_yaml(path), overrides or []))


def parse_train_config(data: dict) -> TrainConfig:
    """Validate a plain mapping into a :class:`TrainConfig`."""
    return from_dict(TrainConfig, data)
