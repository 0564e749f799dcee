"""SMAM: multi-head convolutional attention.

Three heads with 1x1, 3x3 and 5x5 kernels; each reduces channels with a
convolution, applies ReLU and restores them with a transposed convolution. The
heads are summed, squashed by a sigmoid and gate the input element-wise.

References
----------
M.-I. Georgescu et al., "Multimodal Multi-Head Convolutional Attention with
Various Kernel Sizes for Medical Image Super-Resolution", WACV 2023.
"""

from __future__ import annotations

import torch
from torch import nn

from mrisr.models.receptive import receptive_radius


class ConvAttentionHead(nn.Module):
    """conv(k, C -> hidden) -> ReLU -> transposed conv(k, hidden -> C), size preserving."""

    def __init__(self, channels: int, hidden: int, kernel_size: int) -> None:
        super().__init__()
        pad = kernel_size // 2
        self.reduce = nn.Conv2d(channels, hidden, kernel_size, padding=pad)
        self.restore = nn.ConvTranspose2d(hidden, channels, kernel_size, padding=pad)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.restore(torch.relu(self.reduce(x)))

    def receptive_radius(self) -> int:
        """Input pixels an output pixel depends on in each direction: reduce, then restore."""
        return receptive_radius(self.reduce) + receptive_radius(self.restore)


class SMAM(nn.Module):
    """Multi-head convolutional attention gate.

    Parameters
    ----------
    channels : int
        Channels of the gated tensor (1 when applied to the image).
    hidden : int, default 16
        Channels inside each head.
    kernel_sizes : tuple of int, default (1, 3, 5)
        One head per kernel size.

    Shapes: (B, C, H, W) -> (B, C, H, W).
    """

    def __init__(self, channels: int, hidden: int = 16, kernel_sizes: tuple[int, ...] = (1, 3, 5)) -> None:
        super().__init__()
        if any(k % 2 == 0 for k in kernel_sizes):
            raise ValueError(f"SMAM kernel sizes must be odd, got {kernel_sizes}")
        self.heads = nn.ModuleList(ConvAttentionHead(channels, hidden, k) for k in kernel_sizes)

    def attention(self, x: torch.Tensor) -> torch.Tensor:
        """The gate in (0, 1), same shape as ``x``."""
        return torch.sigmoid(torch.stack([h(x) for h in self.heads]).sum(0))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.attention(x)

    def receptive_radius(self) -> int:
        """Input pixels an output pixel depends on in each direction: the widest head (they run side by side)."""
        return max(receptive_radius(h) for h in self.heads)
