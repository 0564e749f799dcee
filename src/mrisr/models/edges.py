"""EEM: edge enhancement before the encoder.

An edge map of the input — fixed Sobel gradient magnitude, fixed
Laplacian-of-Gaussian, or a small learned edge branch — is mixed with the
input and (optionally) the SMAM output by learned scalar weights, as the study
combined input, edges and attention. The study's frozen pretrained edge network
is not available; these are our stand-ins.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from mrisr.models.receptive import receptive_radius

EDGE_KINDS = ("sobel", "log", "learned")


def _sobel_kernels() -> torch.Tensor:
    gx = torch.tensor([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]]) / 8.0
    return torch.stack([gx, gx.t()])[:, None]  # (2, 1, 3, 3)


def _log_kernel(sigma: float = 1.0) -> torch.Tensor:
    r = int(math.ceil(3 * sigma))
    ax = torch.arange(-r, r + 1, dtype=torch.float32)
    yy, xx = torch.meshgrid(ax, ax, indexing="ij")
    rr = (xx**2 + yy**2) / (2 * sigma**2)
    k = (rr - 1.0) * torch.exp(-rr)
    k = k - k.mean()  # zero response on constant images
    return (k / k.abs().sum())[None, None]


class EdgeMap(nn.Module):
    """Edge map of a (B, 1, H, W) image, same shape.

    Parameters
    ----------
    kind : {'sobel', 'log', 'learned'}
        Fixed Sobel magnitude, fixed LoG response, or two trainable 3x3 convs.
    """

    def __init__(self, kind: str = "sobel", hidden: int = 8) -> None:
        super().__init__()
        if kind not in EDGE_KINDS:
            raise ValueError(f"unknown edge kind {kind!r} (options: {', '.join(EDGE_KINDS)})")
        self.kind = kind
        if kind == "sobel":
            self.register_buffer("kernel", _sobel_kernels(), persistent=False)
        elif kind == "log":
            self.register_buffer("kernel", _log_kernel(), persistent=False)
        else:
            self.net = nn.Sequential(
                nn.Conv2d(1, hidden, 3, padding=1), nn.ReLU(inplace=True), nn.Conv2d(hidden, 1, 3, padding=1)
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.kind == "learned":
            return self.net(x)
        pad = self.kernel.shape[-1] // 2
        g = F.conv2d(F.pad(x, (pad,) * 4, mode="replicate"), self.kernel)
        if self.kind == "sobel":
            return torch.sqrt(g.pow(2).sum(1, keepdim=True) + 1e-12)
        return g

    def receptive_radius(self) -> int:
        """Input pixels an edge value depends on in each direction."""
        return receptive_radius(self.net) if self.kind == "learned" else self.kernel.shape[-1] // 2


class InputFusion(nn.Module):
    """Mix the input with its edge map and SMAM output: ``w_x x + w_e e(x) + w_a a(x)``.

    Parameters
    ----------
    edges : EdgeMap or None
        EEM branch (off when None).
    attention : nn.Module or None
        SMAM applied to the image (off when None).
    """

    def __init__(self, edges: nn.Module | None, attention: nn.Module | None) -> None:
        super().__init__()
        self.edges, self.attention = edges, attention
        n = 1 + (edges is not None) + (attention is not None)
        init = [1.0] + [0.5] * (n - 1)
        self.weights = nn.Parameter(torch.tensor(init))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        parts = [x]
        if self.edges is not None:
            parts.append(self.edges(x))
        if self.attention is not None:
            parts.append(self.attention(x))
        return sum(w * p for w, p in zip(self.weights, parts, strict=True))

    def receptive_radius(self) -> int:
        """Input pixels a fused pixel depends on in each direction: the widest branch."""
        return max([0] + [receptive_radius(m) for m in (self.edges, self.attention) if m is not None])
