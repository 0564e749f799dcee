"""Self-describing checkpoints and weight files.

Training checkpoints (``.pt``) are dicts of tensors and plain values saved with
``torch.save`` and loaded with ``weights_only=True`` (no unpickling of
arbitrary objects). Shipped weights are ``.safetensors`` with the model spec
and a model-card summary in the metadata.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import torch

from mrisr._atomic import atomic_path
from mrisr.errors import InputError
from mrisr.models.registry import make_model
from mrisr.version import __version__

logger = logging.getLogger(__name__)

FORMAT = "mrisr-checkpoint"
WEIGHTS_FORMAT = "mrisr-weights"


def save_checkpoint(path: str | Path, payload: dict[str, Any]) -> Path:
    """Atomically save a training checkpoint (adds format and package version)."""
    path = Path(path)
    data = {"format": FORMAT, "mrisr_version": __version__, **payload}
    with atomic_path(path) as tmp:
        torch.save(data, tmp)
    return path


def load_checkpoint(path: str | Path) -> dict[str, Any]:
    """Load a checkpoint written by :func:`save_checkpoint`, safely.

    Raises
    ------
    InputError
        Missing file, a file that is not a torch checkpoint, one that needs
        unpickling of arbitrary objects, or one that is not ours.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError("checkpoint not found", path)
    try:
        data = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises several types for foreign/corrupt files
        if "Weights only load failed" in str(exc):
            raise InputError(
                "not a loadable mrisr checkpoint: it holds pickled Python objects beyond tensors (possibly "
                "code) and was refused for safety; nothing in it was run", path,
            ) from None
        msg = " ".join(str(exc).split())[:160]
        raise InputError(f"not a loadable mrisr checkpoint ({type(exc).__name__}: {msg})", path) from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise InputError("not an mrisr checkpoint (missing format marker)", path)
    return data


def _load_state(model: torch.nn.Module, state: dict[str, torch.Tensor], path: Path) -> None:
    result = model.load_state_dict(state, strict=False)
    if result.missing_keys or result.unexpected_keys:
        raise InputError(
            f"weights do not match the model spec (missing {list(result.missing_keys)[:5]}, "
            f"unexpected {list(result.unexpected_keys)[:5]})",
            path,
        )


def export_weights(checkpoint: str | Path, out: str | Path, *, info: dict[str, Any] | None = None,
                   use_ema: bool = True) -> Path:
    """Write the model weights of a checkpoint to ``.safetensors`` with metadata.

    The EMA weights are exported when present and ``use_ema``.
    """
    ck = load_checkpoint(checkpoint)
    state = ck.get("ema") if (use_ema and ck.get("ema")) else ck["model"]
    return write_weights(state, ck["model_spec"], out, info=info)


def write_weights(state: dict[str, torch.Tensor], spec: dict[str, Any], out: str | Path, *,
                  info: dict[str, Any] | None = None) -> Path:
    """Atomically write a state dict as a ``.safetensors`` weight file that :func:`load_model` reads: the
    tensors (contiguous, on the CPU), the model ``spec`` and ``info`` (JSON) in the metadata."""
    from safetensors.torch import save_file

    meta = {
        "format": WEIGHTS_FORMAT,
        "model_spec": json.dumps(spec),
        "info": json.dumps(info or {}),
        "mrisr_version": __version__,
    }
    out = Path(out)
    with atomic_path(out) as tmp:
        save_file({k: v.detach().cpu().contiguous() for k, v in state.items()}, str(tmp), metadata=meta)
    return out


def load_model(path: str | Path, *, device: str | torch.device = "cpu", use_ema: bool = True):
    """Build a model from a ``.safetensors`` weight file or a ``.pt`` checkpoint.

    Returns
    -------
    model : torch.nn.Module
        In eval mode on ``device``.
    info : dict
        Metadata: ``model_spec`` and whatever the file records (``info`` of
        a weight file; step/epoch/wall hours of a checkpoint).
    """
    path = Path(path)
    if not path.is_file():
        raise InputError("checkpoint not found", path)
    if path.suffix == ".safetensors":
        from safetensors import SafetensorError, safe_open

        try:
            with safe_open(str(path), framework="pt") as fh:
                meta = fh.metadata() or {}
                state = {k: fh.get_tensor(k) for k in fh.keys()}
        except (SafetensorError, OSError, ValueError) as exc:
            raise InputError(f"not a readable safetensors file ({exc})", path) from None
        if meta.get("format") != WEIGHTS_FORMAT:
            raise InputError("not an mrisr weight file (missing format marker)", path)
        spec = json.loads(meta["model_spec"])
        info = json.loads(meta.get("info", "{}"))
    else:
        ck = load_checkpoint(path)
        spec = ck["model_spec"]
        state = ck.get("ema") if (use_ema and ck.get("ema")) else ck["model"]
        info = {k: ck[k] for k in ("step", "epoch", "wall_hours") if k in ck}
    try:
        model = make_model(spec)
    except (ValueError, TypeError) as exc:
        raise InputError(f"invalid model spec in file ({exc})", path) from None
    _load_state(model, state, path)
    return model.to(device).eval(), {"model_spec": spec, **info}
