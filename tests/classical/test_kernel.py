import numpy as np
import pytest

from mrisr.classical.kernel import estimate_kernel
from mrisr.classical.operators import make_operator


def _pairs(th, tw, scale, n=3, quantise=False, seed=0):
    rng = np.random.default_rng(seed)
    hrs, lrs = [], []
    for _ in range(n):
        hr = rng.random((40, 40))
        lr = make_operator({"kind": "kernel", "taps_h": th, "taps_w": tw}, (40, 40), (40 // scale, 40 // scale)).forward(hr)
        lrs.append(np.floor(lr * 255) / 255 if quantise else lr)
        hrs.append(hr)
    return hrs, lrs


@pytest.mark.parametrize("scale", [2, 4])
def test_recovers_known_asymmetric_kernel(scale):
    th = np.array([0.05, 0.2, 0.35, 0.25, 0.1, 0.05])
    tw = np.array([0.1, 0.3, 0.3, 0.2, 0.05, 0.05])
    hrs, lrs = _pairs(th, tw, scale)
    est = estimate_kernel(hrs, lrs, scale, taps=6, quantisation="none")
    np.testing.assert_allclose(np.outer(est.taps_h, est.taps_w), np.outer(th, tw), atol=1e-8)
    np.testing.assert_allclose(est.kernel2d, np.outer(th, tw), atol=1e-8)
    assert est.rms < 1e-6 and est.exact == 1.0


def test_floor_quantised_pairs():
    th = np.array([0.03, 0.15, 0.32, 0.32, 0.15, 0.03])
    hrs, lrs = _pairs(th, th, 2, n=4, quantise=True)
    est = estimate_kernel(hrs, lrs, 2, taps=6, quantisation="floor")
    np.testing.assert_allclose(np.outer(est.taps_h, est.taps_w), np.outer(th, th), atol=2e-3)
    assert abs(est.bias + 0.5 / 255) < 1e-9
    assert est.exact > 0.95
    # a wider window than the truth still finds (near-)zero outer taps
    wide = estimate_kernel(hrs, lrs, 2, taps=10, quantisation="floor")
    assert np.abs(wide.taps_h[[0, 1, -2, -1]]).max() < 3e-3


def test_operator_from_estimate_reproduces_lr():
    th = np.array([0.25, 0.25, 0.25, 0.25])
    hrs, lrs = _pairs(th, th, 4)
    est = estimate_kernel(hrs, lrs, 4, taps=4, quantisation="none")
    np.testing.assert_allclose(est.operator((40, 40)).forward(hrs[0]), lrs[0], atol=1e-8)
    assert est.spec()["kind"] == "kernel"


def test_bad_inputs():
    hr, lr = [np.zeros((8, 8))], [np.zeros((4, 4))]
    with pytest.raises(ValueError, match="equally many"):
        estimate_kernel(hr, [], 2)
    with pytest.raises(ValueError, match="integer"):
        estimate_kernel(hr, lr, 2.5)
    with pytest.raises(ValueError, match="is not LR"):
        estimate_kernel(hr, [np.zeros((3, 3))], 2, taps=2)
    with pytest.raises(ValueError, match="quantisation"):
        estimate_kernel(hr, lr, 2, quantisation="ceil")
