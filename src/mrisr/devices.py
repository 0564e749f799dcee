"""One way to name a compute device and a thread count, for every command and library entry point.

``auto`` picks CUDA when PyTorch sees a GPU, else Apple's MPS, else the CPU;
``cpu``, ``cuda``, ``cuda:N`` and ``mps`` name one. A device that does not
exist here, or a misspelt name, is an :class:`~mrisr.errors.InputError` that
says what exists (and the closest spelling), so the CLI prints one line.
"""

from __future__ import annotations

import contextlib
import difflib
import re
from collections.abc import Iterator
from typing import Any

from mrisr.errors import InputError

#: the device names ``--device`` accepts (``cuda:N`` with N an index)
DEVICE_NAMES = ("auto", "cpu", "cuda", "cuda:N", "mps")

_PATTERN = re.compile(r"(cpu|cuda|mps)(?::(\d+))?")


def _mps_available(torch) -> bool:
    mps = getattr(torch.backends, "mps", None)
    return bool(mps is not None and mps.is_available())


def available_devices() -> list[str]:
    """The devices PyTorch can use on this machine, e.g. ``['cpu', 'cuda:0', 'cuda:1']``."""
    import torch

    names = ["cpu"]
    if torch.cuda.is_available():
        names += [f"cuda:{i}" for i in range(torch.cuda.device_count())]
    if _mps_available(torch):
        names.append("mps")
    return names


def parse_device(name: Any = "auto"):
    """Turn a device name into a :class:`torch.device` that exists on this machine.

    Parameters
    ----------
    name : str or torch.device or None
        ``'auto'`` (also ``None``), ``'cpu'``, ``'cuda'``, ``'cuda:N'`` or ``'mps'``.

    Returns
    -------
    torch.device

    Raises
    ------
    InputError
        A name that is not a device (the closest valid spelling is named) or a
        device this machine lacks (the devices it has are named).

    Examples
    --------
    >>> parse_device("cpu")
    device(type='cpu')
    """
    import torch

    text = "auto" if name is None else str(name).strip().lower()
    if text == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        return torch.device("mps" if _mps_available(torch) else "cpu")
    match = _PATTERN.fullmatch(text)
    if not match:
        close = difflib.get_close_matches(text.split(":")[0], ["auto", "cpu", "cuda", "mps"], n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise InputError(f"device {name!r} is not one of {', '.join(DEVICE_NAMES)}{hint}")
    kind, index = match.group(1), match.group(2)
    have = available_devices()
    missing = (kind == "cuda" and not torch.cuda.is_available()) or (kind == "mps" and not _mps_available(torch))
    if not missing and kind == "cuda" and index is not None and int(index) >= torch.cuda.device_count():
        missing = True
    if missing:
        raise InputError(f"device {name!r} is not available on this machine (available: {', '.join(have)})")
    return torch.device(text)


def check_threads(threads: Any) -> int | None:
    """Validate a thread count (``None`` means the library defaults)."""
    if threads is None:
        return None
    if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
        raise InputError(f"threads must be a whole number >= 1, got {threads!r}")
    return threads


@contextlib.contextmanager
def limit_threads(threads: int | None) -> Iterator[None]:
    """Run the block with PyTorch's and the BLAS pools' threads capped at ``threads``.

    ``None`` changes nothing. PyTorch's setting is restored afterwards.
    """
    if check_threads(threads) is None:
        yield
        return
    import torch
    from threadpoolctl import threadpool_limits

    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        with threadpool_limits(limits=threads):
            yield
    finally:
        torch.set_num_threads(before)


def is_out_of_memory(exc: BaseException) -> bool:
    """True for a CUDA (or MPS) out-of-memory error."""
    import torch

    if isinstance(exc, torch.OutOfMemoryError):
        return True
    return isinstance(exc, RuntimeError) and "out of memory" in str(exc).lower()


def free_cached_memory() -> None:
    """Return PyTorch's cached GPU blocks after an out-of-memory error, so a retry can use them."""
    import torch

    if torch.cuda.is_available():
        torch.cuda.empty_cache()


def fast_bfloat16(device) -> bool:
    """Whether ``device`` (a :class:`torch.device`) is a CPU with native bfloat16 arithmetic (AVX512-BF16 or
    AMX, as oneDNN reports it), where bfloat16 autocast pays; False for any other device or when unknown."""
    import torch

    if device.type != "cpu" or not torch.backends.mkldnn.is_available():
        return False
    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):  # an older or a slimmer PyTorch build
        return False
