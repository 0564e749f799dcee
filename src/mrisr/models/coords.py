"""Coordinate conventions shared by LIIF training and inference.

A grid of ``n`` pixels spans [-1, 1]; pixel ``i`` has centre ``-1 + (2 i + 1) / n``
(half-pixel centres, consistent with ``align_corners=False`` resampling).
Coordinates are ``(y, x)`` pairs.
"""

from __future__ import annotations

import torch


def pixel_centres(n: int, *, device=None, dtype=torch.float32) -> torch.Tensor:
    """Centres of ``n`` pixels on [-1, 1]: ``-1 + (2 i + 1) / n``."""
    return (torch.arange(n, device=device, dtype=dtype) * 2 + 1) / n - 1


def make_coord(shape: tuple[int, int], *, device=None, dtype=torch.float32) -> torch.Tensor:
    """Pixel-centre coordinates of an (H, W) grid as an (H*W, 2) tensor of (y, x)."""
    ys = pixel_centres(shape[0], device=device, dtype=dtype)
    xs = pixel_centres(shape[1], device=device, dtype=dtype)
    return torch.stack(torch.meshgrid(ys, xs, indexing="ij"), dim=-1).reshape(-1, 2)


def make_cell(shape: tuple[int, int], n: int, *, device=None, dtype=torch.float32) -> torch.Tensor:
    """The (n, 2) cell size ``(2 / H, 2 / W)`` of an output grid, repeated per query."""
    cell = torch.tensor([2.0 / shape[0], 2.0 / shape[1]], device=device, dtype=dtype)
    return cell.expand(n, 2)
