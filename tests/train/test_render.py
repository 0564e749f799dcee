"""Training through a known degradation (``render:``): the operator, the margin, the config and a run."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from mrisr.classical.operators import make_operator
from mrisr.config import ConfigError
from mrisr.train.config import RenderConfig, parse_train_config
from mrisr.train.loop import train
from mrisr.train.render import RenderedLoss
from tests.conftest import phantom

IXI_2X = {"kind": "gaussian", "sigma": 1.0, "bias": -0.5 / 255}


class GridNet(torch.nn.Module):
    """Stands in for a model: returns a fixed (B, C, H, W) image at queries on that image's pixel centres."""

    def __init__(self, image: torch.Tensor) -> None:
        super().__init__()
        self.image = image

    def forward(self, lr, coord, cell):
        h, w = self.image.shape[-2:]
        iy = torch.round((coord[..., 0] + 1) / 2 * h - 0.5).long()
        ix = torch.round((coord[..., 1] + 1) / 2 * w - 0.5).long()
        b = torch.arange(coord.shape[0])[:, None]
        return self.image[b, :, iy, ix]  # (B, Q, C)


def _flat(img: torch.Tensor) -> torch.Tensor:
    """(B, C, H, W) -> (B, H*W, C), the row-major order of a ``queries: 0`` batch."""
    return img.flatten(2).transpose(1, 2)


def test_degraded_rendering_matches_the_whole_image_operator_inside_the_margin():
    # a 48-px fine image G; the model renders its central 32 px F = G[8:40, 8:40] (a 16-px target patch)
    g = phantom(48, seed=3).astype(np.float64)
    op = make_operator(IXI_2X, (48, 48), (24, 24))
    whole = op.forward(g) + op.bias  # the target grid of the whole image: target pixel j <-> G pixels 2j, 2j+1
    f = torch.from_numpy(g[8:40, 8:40]).float()[None, None]
    lr = torch.zeros(1, 1, 4, 4)  # 4 LR pixels -> 16 target pixels (scale 4), rendered at 32 (factor 2)
    gt = _flat(torch.from_numpy(whole[4:20, 4:20]).float()[None, None])
    for margin, exact in ((2, True), (0, False)):
        pred, target = RenderedLoss(RenderConfig(operator=IXI_2X, margin=margin))(GridNet(f), lr, gt, 4.0)
        assert pred.shape == target.shape == (1, 1, 16 - 2 * margin, 16 - 2 * margin)
        err = (pred - target).abs().max().item()
        # sigma = 1 (4 taps each side) spans 2 target pixels: with that margin the crop's edges do not show
        assert (err < 1e-5) == exact, (margin, err)


def test_a_constant_rendering_stays_constant_plus_the_bias():
    net = GridNet(torch.full((2, 1, 24, 24), 0.4))
    gt = torch.zeros(2, 12 * 12, 1)
    pred, _ = RenderedLoss(RenderConfig(operator=IXI_2X))(net, torch.zeros(2, 1, 6, 6), gt, 2.0)
    assert torch.allclose(pred, torch.full_like(pred, 0.4 - 0.5 / 255), atol=1e-6)


def test_sampled_queries_are_refused_at_run_time_and_in_the_config(tiny_ixi, tiny_config):
    with pytest.raises(ValueError, match="every target pixel"):
        RenderedLoss(RenderConfig())(GridNet(torch.zeros(1, 1, 16, 16)), torch.zeros(1, 1, 4, 4),
                                     torch.zeros(1, 10, 1), 2.0)
    for render, data, message in (
        ({}, {"queries": 64}, "data.queries: 0"),
        ({"margin": 8}, {"queries": 0}, "leaves nothing of a 16-px target patch"),
        ({"factor": 1}, {"queries": 0}, "render.factor must be >= 2"),
        ({"operator": {"sigma": 1}}, {"queries": 0}, "render.operator must be a mapping with 'kind'"),
    ):
        d = {"root": str(tiny_ixi), "pairs": [[4, 2]], "lr_patch": 8, **data}
        with pytest.raises(ConfigError, match=message):
            parse_train_config(tiny_config(tiny_ixi, data=d, render=render))


def test_off_domain_run_renders_past_its_targets(tiny_ixi, tiny_config, tmp_path):
    """64 -> 128-style pairs (x4 against x2) trained through the 2x operator, validated at x4 -> HR."""
    data = {"root": str(tiny_ixi), "pairs": [[4, 2]], "val_pairs": [[4, 1], [4, 2]], "lr_patch": 8,
            "queries": 0, "foreground_min": 0.0}
    losses = {}
    for name, render in (("plain", None), ("render", {"operator": IXI_2X, "margin": 2})):
        cfg = parse_train_config(tiny_config(tiny_ixi, data=data, render=render, steps=2, val_every=2))
        out = train(cfg, tmp_path / name, progress=False)
        assert out["step"] == 2 and {"psnr_x4", "psnr_x4_to_x2"} <= set(out["last_val"])
        with open(tmp_path / name / "metrics.csv") as fh:
            losses[name] = float(fh.readlines()[1].split(",")[3])
    # same seed, weights and first batch: only the loss path differs, so the first losses must too
    assert np.isfinite(losses["render"]) and losses["render"] != losses["plain"]


def test_aux_batches_come_every_aux_every_steps_and_skip_the_render_path(ixi40, tiny_config, tmp_path, monkeypatch):
    import mrisr.train.loop as loop

    seen, calls = [], []
    sample = loop.PatchSampler.sample
    monkeypatch.setattr(loop.PatchSampler, "sample",
                        lambda self, step, b, p: seen.append((step, self.cfg.mode)) or sample(self, step, b, p))
    call = RenderedLoss.__call__
    monkeypatch.setattr(RenderedLoss, "__call__", lambda self, *a: calls.append(1) or call(self, *a))
    data = {"root": str(ixi40), "pairs": [[4, 2]], "val_pairs": [[4, 1]], "lr_patch": 8, "queries": 0,
            "foreground_min": 0.0}
    aux = {"root": str(ixi40), "mode": "synthetic", "synthetic_from": 2, "pairs": [[2, 1]], "lr_patch": 8,
           "queries": 16, "operator": {"kind": "gaussian", "sigma": 1.0}, "foreground_min": 0.0}
    cfg = parse_train_config(tiny_config(ixi40, data=data, render={"operator": IXI_2X}, aux_data=aux,
                                         aux_every=3, steps=6, val_every=6))
    train(cfg, tmp_path / "run", progress=False)
    assert seen == [(0, "stored"), (1, "stored"), (2, "synthetic"), (3, "stored"), (4, "stored"), (5, "synthetic")]
    assert len(calls) == 4  # the stored batches only
