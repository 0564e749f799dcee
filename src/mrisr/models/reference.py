"""The textbook LIIF decoding, kept as a correctness and speed reference.

This follows the formulation of Chen et al. (CVPR 2021) literally: the 3x3
unfolded latent code is materialised for every query, the nearest latent of
each of the 4 ensemble shifts is found by nearest-neighbour sampling, and the
full MLP runs once per shift on ``[code, rel_coord, rel_cell]``. The fast
decoder in :mod:`mrisr.models.liif` must agree with it (tests), and
``benchmarks/liif_speed.py`` times both.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from mrisr.models.coords import make_coord


def plain_liif_decode(
    imnet: torch.nn.Module,
    feat: torch.Tensor,
    coord: torch.Tensor,
    cell: torch.Tensor,
    *,
    bsize: int | None = None,
) -> torch.Tensor:
    """Decode queries from encoder features the textbook way.

    Parameters
    ----------
    imnet : nn.Module
        MLP taking ``9 C + 4`` inputs.
    feat : torch.Tensor
        Encoder features (B, C, h, w).
    coord, cell : torch.Tensor
        Query coordinates and cells (B, Q, 2), (y, x) in [-1, 1].
    bsize : int, optional
        Queries per pass (all at once by default).

    Returns
    -------
    torch.Tensor
        (B, Q, out) MLP outputs blended with local-ensemble area weights.
    """
    b, c, h, w = feat.shape
    feat = F.unfold(feat, 3, padding=1).view(b, c * 9, h, w)
    centres = make_coord((h, w), device=feat.device).t().view(1, 2, h, w).expand(b, -1, -1, -1)
    size = torch.tensor([h, w], device=feat.device, dtype=feat.dtype)
    step = bsize or coord.shape[1]
    outs = []
    for i in range(0, coord.shape[1], step):
        co, ce = coord[:, i : i + step], cell[:, i : i + step]
        preds, areas = [], []
        for vy in (-1, 1):
            for vx in (-1, 1):
                cc = co.clone()
                cc[..., 0] += vy / h + 1e-6
                cc[..., 1] += vx / w + 1e-6
                cc.clamp_(-1 + 1e-6, 1 - 1e-6)
                grid = cc.flip(-1).unsqueeze(1)
                code = F.grid_sample(feat, grid, mode="nearest", align_corners=False)[:, :, 0].transpose(1, 2)
                qc = F.grid_sample(centres, grid, mode="nearest", align_corners=False)[:, :, 0].transpose(1, 2)
                rel = (co - qc) * size
                preds.append(imnet(torch.cat([code, rel, ce * size], dim=-1)))
                areas.append((rel[..., 0] * rel[..., 1]).abs() + 1e-9)
        total = sum(areas)
        # each prediction is weighted by the area of the diagonally opposite sub-rectangle
        outs.append(sum(p * (a / total).unsqueeze(-1) for p, a in zip(preds, areas[::-1], strict=True)))
    return torch.cat(outs, dim=1)
