"""LIIF decoder: conventions, equivalence with the plain formulation, shapes."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from mrisr.models import MODELS, make_model
from mrisr.models.coords import make_cell, make_coord, pixel_centres
from mrisr.models.reference import plain_liif_decode

TINY_ENC = {"name": "edsr-baseline", "args": {"n_feats": 8, "n_resblocks": 1}}


def tiny(**kw):
    torch.manual_seed(0)
    return make_model({"name": "liif", "args": {"encoder": TINY_ENC, "mlp_hidden": [16, 16], **kw}}).eval()


def test_pixel_centre_grid_hand_values():
    assert torch.allclose(pixel_centres(2), torch.tensor([-0.5, 0.5]))
    assert torch.allclose(pixel_centres(4), torch.tensor([-0.75, -0.25, 0.25, 0.75]))
    c = make_coord((2, 4))
    assert c.shape == (8, 2)
    assert torch.allclose(c[0], torch.tensor([-0.5, -0.75]))  # (y, x) of the top-left pixel
    assert torch.allclose(c[5], torch.tensor([0.5, -0.25]))  # row 1, column 1
    assert torch.allclose(make_cell((2, 4), 3), torch.tensor([[1.0, 0.5]] * 3))


def naive_liif(model, lr, coord, cell):
    """The full model with the textbook decoder in place of the fast one."""
    x = (lr - 0.5) / 0.5
    feat = model.encoder(model.fusion(x) if model.fusion is not None else x)
    return plain_liif_decode(model.imnet, feat, coord, cell, bsize=97) * 0.5 + model.base(lr, coord)


@pytest.mark.parametrize("out_shape", [(24, 40), (31, 17), (48, 10), (12, 30)])
def test_fast_decoder_equals_plain_formulation(out_shape):
    model = tiny(residual=True)
    torch.nn.init.normal_(model.imnet.layers[-1].weight, std=0.1)  # leave the zero init
    lr = torch.rand(2, 1, 12, 10)
    coord = make_coord(out_shape).expand(2, -1, -1)
    cell = make_cell(out_shape, coord.shape[1]).expand(2, -1, -1)
    with torch.no_grad():
        fast = model(lr, coord, cell)
        slow = naive_liif(model, lr, coord, cell)
    assert torch.allclose(fast, slow, atol=1e-5)


def test_zero_weight_ensemble_members_are_skipped_exactly(monkeypatch):
    # a through-plane plane: rows upscaled 4x, columns not; every query sits on a latent column, so two
    # of its four neighbours weigh nothing and only the other two are decoded: same values and gradients
    import mrisr.models.liif as liif

    model = tiny(residual=True).train()
    torch.nn.init.normal_(model.imnet.layers[-1].weight, std=0.1)
    lr = torch.rand(2, 1, 6, 9)
    coord = make_coord((24, 9)).expand(2, -1, -1)
    cell = make_cell((24, 9), coord.shape[1]).expand(2, -1, -1)
    rows = []
    model.imnet.layers[2].register_forward_hook(lambda m, i, o: rows.append(i[0].shape[0]))

    def run():
        model.zero_grad()
        out = model(lr, coord, cell)
        out.square().sum().backward()
        return out.detach(), [p.grad.clone() for p in model.parameters()]

    skipped, g_skipped = run()
    monkeypatch.setattr(liif, "SKIP_WEIGHT", -1.0)  # decode every member
    dense, g_dense = run()
    # (members x batch x queries) decoded: in the last column the right neighbour is clamped onto the
    # column itself, so all four members count there
    assert rows == [2 * 2 * 24 * 9 + 2 * 2 * 24, 4 * 2 * 24 * 9]
    assert torch.allclose(skipped, dense, atol=1e-6)
    for a, b in zip(g_skipped, g_dense, strict=True):
        assert torch.allclose(a, b, atol=1e-5, rtol=1e-4)


def test_residual_model_starts_at_bicubic():
    model = tiny(residual=True)
    lr = torch.rand(1, 1, 16, 16)
    out = model.upscale(lr, (32, 32))
    ref = F.interpolate(lr, size=(32, 32), mode="bicubic", align_corners=False)
    # border handling differs only in the outermost pixel ring
    assert torch.allclose(out[..., 2:-2, 2:-2], ref[..., 2:-2, 2:-2], atol=1e-5)


@pytest.mark.parametrize("out_shape", [(32, 32), (37, 53), (16, 16)])
@pytest.mark.parametrize("variant", [{}, {"smam": "input"}, {"smam": "features"}, {"eem": "sobel"},
                                     {"eem": "log", "smam": "input"}, {"eem": "learned"}])
def test_shapes_any_scale_one_channel(out_shape, variant):
    model = tiny(**variant)
    out = model.upscale(torch.rand(2, 1, 16, 16), out_shape, chunk=100)
    assert out.shape == (2, 1, *out_shape)
    assert torch.isfinite(out).all()


def test_chunking_does_not_change_output():
    model = tiny(smam="input", eem="sobel")
    torch.nn.init.normal_(model.imnet.layers[-1].weight, std=0.1)
    lr = torch.rand(1, 1, 10, 10)
    whole = model.upscale(lr, (25, 25))  # one chunk
    # pieces of rows (7 < 25 wide); two whole rows at a time (60 -> 50 queries), the last chunk one row
    for chunk in (7, 60):
        assert torch.allclose(model.upscale(lr, (25, 25), chunk=chunk), whole, atol=1e-6)


@pytest.mark.parametrize("name", MODELS.names())
def test_every_registered_model_runs_forward_and_backward(name):
    torch.manual_seed(0)
    if name == "liif":
        model = tiny(smam="input", eem="sobel")
        model.train()
        lr = torch.rand(2, 1, 8, 8)
        coord = make_coord((16, 16)).expand(2, -1, -1)
        out = model(lr, coord, make_cell((16, 16), 256).expand(2, -1, -1))
    else:
        model = make_model({"name": name, "args": {"n_feats": 8, "n_resblocks": 1}})
        out = model(torch.rand(2, 1, 8, 8))
    assert torch.isfinite(out).all()
    out.abs().mean().backward()
    grads = [p.grad for p in model.parameters() if p.requires_grad]
    assert any(g is not None and g.abs().sum() > 0 for g in grads)


def test_overfitting_one_image_beats_bicubic():
    """A few dozen steps on one image must beat bicubic on that image."""
    from mrisr.metrics import psnr

    yy, xx = np.mgrid[0:32, 0:32] / 32.0
    hr = (0.5 + 0.3 * np.sin(9 * xx) * np.cos(7 * yy) + 0.2 * (xx > 0.4)).clip(0, 1)
    hr_t = torch.tensor(hr, dtype=torch.float32)[None, None]
    lr = F.avg_pool2d(hr_t, 2)
    model = tiny(smam="input", eem="sobel").train()
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    coord = make_coord((32, 32))[None]
    cell = make_cell((32, 32), 1024)[None]
    gt = hr_t.flatten(2).transpose(1, 2)
    for _ in range(80):
        loss = F.l1_loss(model(lr, coord, cell), gt)
        opt.zero_grad()
        loss.backward()
        opt.step()
    sr = model.eval().upscale(lr, (32, 32))[0, 0].numpy()
    bic = F.interpolate(lr, size=(32, 32), mode="bicubic", align_corners=False)[0, 0].numpy()
    assert psnr(sr.clip(0, 1), hr) > psnr(bic.clip(0, 1), hr) + 1.0


def test_bad_smam_position_is_refused():
    with pytest.raises(ValueError, match="smam"):
        tiny(smam="middle")


def test_widened_mlp_computes_the_same_function_and_learns():
    from mrisr.models.liif import widen_into, widen_spec_from

    torch.manual_seed(0)
    narrow = tiny(mlp_hidden=[16, 16])
    for p in narrow.imnet.parameters():  # the residual head starts at zero: make it matter
        torch.nn.init.normal_(p, std=0.1)
    wide = tiny(mlp_hidden=[32, 24])
    widen_into(wide, narrow)
    lr = torch.rand(2, 1, 9, 11)
    assert torch.allclose(wide.upscale(lr, (20, 23)), narrow.upscale(lr, (20, 23)), atol=1e-5)
    # the new units are live: their outgoing weights get gradients from the first step
    coord = make_coord((20, 23)).expand(2, -1, -1)
    wide(lr, coord, make_cell((20, 23), coord.shape[1]).expand(2, -1, -1)).abs().mean().backward()
    assert wide.imnet.layers[-1].weight.grad[:, 16:].abs().sum() > 0
    # only a same-depth, nowhere narrower MLP with everything else equal can be grown
    spec = {"name": "liif", "args": {"mlp_hidden": [16, 16], "residual": True}}
    grow = {"name": "liif", "args": {"mlp_hidden": [32, 16], "residual": True}}
    assert widen_spec_from(spec, grow)
    assert not widen_spec_from(grow, spec)
    assert not widen_spec_from(spec, {"name": "liif", "args": {"mlp_hidden": [32, 32, 32], "residual": True}})
    assert not widen_spec_from(spec, {"name": "liif", "args": {"mlp_hidden": [32, 32], "residual": False}})


@pytest.mark.parametrize(("variant", "out_shape"), [
    ({}, (46, 38)),  # 2x
    ({}, (69, 57)),  # 3x
    ({}, (58, 47)),  # 2.5x (non-integer)
    ({"smam": "input", "eem": "sobel"}, (69, 57)),
    ({"smam": "features", "eem": "log"}, (58, 47)),
])
def test_tiled_rendering_equals_whole_image(variant, out_shape):
    model = tiny(**variant)
    torch.nn.init.normal_(model.imnet.layers[-1].weight, std=0.1)
    lr = torch.rand(2, 1, 23, 19)
    whole = model.upscale(lr, out_shape)
    # 4 x 4 tiles; chunks of whole rows (200) and of pieces of rows across row ends (10)
    for chunk in (200, 10):
        assert torch.allclose(model.upscale(lr, out_shape, tile=6, chunk=chunk), whole, atol=1e-6, rtol=0)


def test_tiles_that_own_no_output_pixel_are_skipped():
    # fewer output columns than input columns: with 2-pixel tiles some tiles own no output column (a zero-width block)
    model = tiny()
    torch.nn.init.normal_(model.imnet.layers[-1].weight, std=0.1)
    lr = torch.rand(1, 1, 12, 12)
    whole = model.upscale(lr, (24, 5))
    assert torch.allclose(model.upscale(lr, (24, 5), tile=2, chunk=8), whole, atol=1e-6, rtol=0)


@pytest.mark.parametrize("variant", [{}, {"smam": "input", "eem": "log"}, {"smam": "features", "eem": "learned"}])
def test_receptive_radius_is_exact(variant):
    """A latent depends on input pixels ``radius`` away and on none further (interior pixel)."""
    model = tiny(**variant)
    r = model.receptive_radius()
    lr = torch.rand(1, 1, 2 * r + 9, 2 * r + 9)
    c = r + 4
    with torch.no_grad():
        base = model.encode(lr)[0, c, c]
        for d, changes in ((r, True), (r + 1, False)):
            bumped = lr.clone()
            bumped[0, 0, c + d, c] += 1.0
            assert bool((model.encode(bumped)[0, c, c] != base).any()) is changes


def test_tile_and_chunk_are_validated():
    with pytest.raises(ValueError, match="chunk and tile"):
        tiny().upscale(torch.rand(1, 1, 8, 8), (16, 16), tile=0)
