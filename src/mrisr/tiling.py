"""Memory bounds for large images: tile grids and a check that an output fits before it is made.

Every method keeps its working memory bounded by processing a large image in
tiles (LIIF: exact, with the encoder's receptive radius as overlap; ELRTV:
blended overlapping solves) or blocks (the interpolation baselines); what still
grows with the image is the float32 output itself, which
:func:`check_output_fits` compares with the memory available before any work
starts.
"""

from __future__ import annotations

from pathlib import Path

from mrisr.errors import InputError

#: bytes per output pixel a method holds besides the float32 result (a second copy while converting)
_OVERHEAD_PER_PIXEL = 4


class OutputTooLarge(InputError):
    """An output that would not fit in the memory available (a user-fixable situation: the CLI exits 2)."""


def available_memory() -> int | None:
    """Bytes of memory available to new allocations, or None where unknown.

    ``psutil.virtual_memory().available`` if psutil is installed, else
    ``MemAvailable`` from ``/proc/meminfo`` (Linux).
    """
    try:
        import psutil
    except ImportError:
        psutil = None
    if psutil is not None:
        return int(psutil.virtual_memory().available)
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def _gib(n: float) -> str:
    return f"{n / 2**30:.1f} GiB"


def check_output_fits(out_shape: tuple[int, ...], *, images: int = 1, available: int | None = None) -> None:
    """Refuse, before any work, an output that cannot fit in memory.

    Parameters
    ----------
    out_shape : tuple of int
        Shape of one output image (or volume), float32.
    images : int, default 1
        Outputs held at once.
    available : int, optional
        Bytes available (default :func:`available_memory`; unknown: no check).

    Raises
    ------
    OutputTooLarge
        One line: how big the output would be, how much memory there is, and
        what to do.
    """
    pixels = images
    for n in out_shape:
        pixels *= int(n)
    need = pixels * (4 + _OVERHEAD_PER_PIXEL)
    avail = available_memory() if available is None else available
    if avail is not None and need > avail:
        size = "x".join(str(int(n)) for n in out_shape)
        raise OutputTooLarge(
            f"the output ({size} float32{f', {images} images' if images > 1 else ''}) needs about {_gib(need)} "
            f"but only {_gib(avail)} of memory is available: ask for a smaller --scale/--size, crop the input, "
            "or run on a machine with more memory"
        )


def tile_starts(n: int, tile: int, overlap: int = 0) -> list[int]:
    """Starts of equal tiles of ``tile`` covering ``range(n)``, consecutive ones overlapping by ``overlap`` or more.

    The last tile ends at ``n`` (it may overlap its neighbour more); ``n <= tile`` gives one tile, ``[0]``.

    Examples
    --------
    >>> tile_starts(10, 4, 1)
    [0, 3, 6]
    >>> tile_starts(3, 4)
    [0]
    """
    if tile < 1 or overlap < 0 or overlap >= tile:
        raise ValueError(f"need tile >= 1 and 0 <= overlap < tile, got tile={tile}, overlap={overlap}")
    if n <= tile:
        return [0]
    step = tile - overlap
    starts = list(range(0, n - tile, step))
    return [*starts, n - tile]


def core_spans(n: int, tile: int) -> list[tuple[int, int]]:
    """Split ``range(n)`` into consecutive, non-overlapping spans of at most ``tile`` (nearly equal sizes).

    Examples
    --------
    >>> core_spans(10, 4)
    [(0, 3), (3, 6), (6, 10)]
    """
    if tile < 1:
        raise ValueError(f"tile must be >= 1, got {tile}")
    k = -(-n // tile)
    bounds = [i * n // k for i in range(k + 1)]
    return list(zip(bounds[:-1], bounds[1:], strict=True))
