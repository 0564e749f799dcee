"""SMAM and EEM building blocks."""

from __future__ import annotations

import pytest
import torch

from mrisr.models.attention import SMAM
from mrisr.models.edges import EdgeMap, InputFusion


def test_smam_gate_is_in_unit_interval_and_shape_preserving():
    torch.manual_seed(0)
    m = SMAM(4, hidden=3)
    x = torch.randn(2, 4, 9, 11)
    gate = m.attention(x)
    assert gate.shape == x.shape
    assert (gate > 0).all() and (gate < 1).all()
    assert torch.allclose(m(x), x * gate)
    assert [h.reduce.kernel_size for h in m.heads] == [(1, 1), (3, 3), (5, 5)]


def test_smam_refuses_even_kernels():
    with pytest.raises(ValueError, match="odd"):
        SMAM(1, kernel_sizes=(1, 2))


@pytest.mark.parametrize("kind", ["sobel", "log"])
def test_fixed_edge_maps_vanish_on_constant_images(kind):
    e = EdgeMap(kind)(torch.full((1, 1, 12, 12), 0.7))
    assert e.abs().max() < 1e-5


def test_sobel_responds_to_a_vertical_step():
    x = torch.zeros(1, 1, 8, 8)
    x[..., 4:] = 1.0
    e = EdgeMap("sobel")(x)[0, 0]
    assert e[:, 3:5].min() > 0.2 and e[:, :2].max() < 1e-5


def test_fusion_mixes_input_edges_and_attention():
    torch.manual_seed(0)
    edges, att = EdgeMap("sobel"), SMAM(1, hidden=2)
    f = InputFusion(edges, att)
    x = torch.rand(1, 1, 8, 8)
    w = f.weights.detach()
    assert torch.allclose(f(x), w[0] * x + w[1] * edges(x) + w[2] * att(x), atol=1e-6)


def test_unknown_edge_kind():
    with pytest.raises(ValueError, match="unknown edge kind"):
        EdgeMap("canny")
