"""EDSR-baseline feature encoder (no upsampler).

References
----------
B. Lim et al., "Enhanced Deep Residual Networks for Single Image
Super-Resolution", CVPRW 2017 (baseline: 16 residual blocks, 64 features,
residual scaling 1).
"""

from __future__ import annotations

import torch
from torch import nn

from mrisr.models.receptive import receptive_radius
from mrisr.models.registry import MODELS


class ResBlock(nn.Module):
    """conv-ReLU-conv with an identity skip (no batch norm)."""

    def __init__(self, channels: int, *, kernel_size: int = 3, res_scale: float = 1.0) -> None:
        super().__init__()
        pad = kernel_size // 2
        self.body = nn.Sequential(
            nn.Conv2d(channels, channels, kernel_size, padding=pad),
            nn.ReLU(inplace=True),
            nn.Conv2d(channels, channels, kernel_size, padding=pad),
        )
        self.res_scale = res_scale

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x) * self.res_scale

    def receptive_radius(self) -> int:
        """Input pixels an output pixel depends on in each direction (the skip adds none)."""
        return receptive_radius(self.body)


@MODELS.register("edsr-baseline")
class EDSREncoder(nn.Module):
    """EDSR feature extractor: head conv, residual blocks, body conv, global skip.

    Parameters
    ----------
    in_channels : int, default 1
        Image channels (1 for MRI magnitude).
    n_feats : int, default 64
        Feature channels (= ``out_dim``).
    n_resblocks : int, default 16
        Number of residual blocks.
    res_scale : float, default 1.0
        Residual scaling inside blocks.

    Shapes: (B, in_channels, h, w) -> (B, n_feats, h, w).
    """

    def __init__(
        self, in_channels: int = 1, n_feats: int = 64, n_resblocks: int = 16, res_scale: float = 1.0
    ) -> None:
        super().__init__()
        self.head = nn.Conv2d(in_channels, n_feats, 3, padding=1)
        self.body = nn.Sequential(
            *[ResBlock(n_feats, res_scale=res_scale) for _ in range(n_resblocks)],
            nn.Conv2d(n_feats, n_feats, 3, padding=1),
        )
        self.out_dim = n_feats

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.head(x)
        return x + self.body(x)

    def receptive_radius(self) -> int:
        """Input pixels an output feature depends on in each direction: head, then body."""
        return receptive_radius(self.head) + receptive_radius(self.body)
