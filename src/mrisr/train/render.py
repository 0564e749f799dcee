"""Losses through a known degradation: render finer than the targets, degrade, compare.

A model trained on ``[lr, hr]`` pairs learns to render the ``hr`` images. When
those are themselves degraded versions of a finer image by a known operator
``D`` (IXI's 128-px images are a 256-px slice blurred with a Gaussian of
sigma 1 and averaged over 2x2 blocks), the model can instead render the finer
grid ``X`` and be trained on ``D(X)`` against the target. It then never sees a
finer image, yet learns to undo ``D`` as far as the data and its own prior
allow, rather than to reproduce the blur.
"""

from __future__ import annotations

import torch

from mrisr.models.coords import make_cell, make_coord
from mrisr.train.config import RenderConfig


class RenderedLoss:
    """Predictions and targets for a loss computed through ``render.operator``.

    Parameters
    ----------
    cfg : RenderConfig
        Fine-grid factor, operator spec and margin.
    """

    def __init__(self, cfg: RenderConfig) -> None:
        self.cfg = cfg
        self._ops: dict = {}

    def operator(self, target_shape: tuple[int, int], device: torch.device) -> tuple[torch.Tensor, torch.Tensor, float]:
        """``(R_h, R_w, bias)`` from the fine grid to ``target_shape`` (built once per shape and device)."""
        from mrisr.classical.operators import make_operator

        key = (tuple(target_shape), str(device))
        if key not in self._ops:
            f = self.cfg.factor
            fine = (target_shape[0] * f, target_shape[1] * f)
            op = make_operator(self.cfg.operator, fine, target_shape)
            rh, rw = (torch.as_tensor(m, dtype=torch.float32, device=device) for m in op.matrices())
            self._ops[key] = (rh, rw, float(op.bias))
        return self._ops[key]

    def __call__(self, net: torch.nn.Module, lr: torch.Tensor, gt: torch.Tensor, scale: float):
        """Render, degrade and crop.

        Parameters
        ----------
        net : torch.nn.Module
            Called as ``net(lr, coord, cell)`` -> (B, Q, C).
        lr : torch.Tensor
            (B, C, p, q) LR patches.
        gt : torch.Tensor
            (B, H*W, C) every target pixel of each patch, row-major (``data.queries: 0``).
        scale : float
            Target pixels per LR pixel.

        Returns
        -------
        tuple of torch.Tensor
            ``(pred, target)``, both (B, C, H - 2m, W - 2m) float32.
        """
        b, c = lr.shape[:2]
        h, w = round(lr.shape[-2] * scale), round(lr.shape[-1] * scale)
        if gt.shape[1] != h * w:
            raise ValueError(f"render needs every target pixel ({h}x{w}), got {gt.shape[1]} queries")
        f = self.cfg.factor
        fine = (h * f, w * f)
        coord = make_coord(fine, device=lr.device).expand(b, -1, -1)
        cell = make_cell(fine, coord.shape[1], device=lr.device).expand(b, -1, -1)
        out = net(lr, coord, cell)  # (B, Q, C)
        rh, rw, bias = self.operator((h, w), lr.device)
        with torch.autocast(lr.device.type, enabled=False):  # the operator in float32 under any autocast
            img = out.float().transpose(1, 2).reshape(b, c, *fine)
            deg = rh @ img @ rw.T + bias
        m = self.cfg.margin
        target = gt.float().transpose(1, 2).reshape(b, c, h, w)
        return deg[..., m : h - m, m : w - m], target[..., m : h - m, m : w - m]
