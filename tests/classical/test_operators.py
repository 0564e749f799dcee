import numpy as np
import pytest

from mrisr.classical.operators import (
    OPERATORS,
    SeparableOperator,
    gaussian_operator,
    make_operator,
    taps_matrix,
)
from mrisr.data.degrade import gaussian_degrade


@pytest.mark.parametrize(
    "spec",
    [{"kind": "gaussian", "sigma": 1.0}, "bicubic", {"kind": "kernel", "taps_h": [0.1, 0.4, 0.4, 0.1]}],
)
def test_adjoint_identity(spec, rng):
    op = make_operator(spec, (24, 20), (12, 10))
    x, y = rng.random((24, 20)), rng.random((12, 10))
    assert np.isclose(np.sum(op.forward(x) * y), np.sum(x * op.adjoint(y)), rtol=1e-12)


def test_gaussian_operator_matches_degradation(rng):
    hr = rng.random((32, 32))
    op = gaussian_operator((32, 32), (16, 16), sigma=1.0)
    np.testing.assert_allclose(op.forward(hr), gaussian_degrade(hr, (16, 16), sigma=1.0), atol=1e-6)


def test_solve_normal_is_exact(rng):
    op = gaussian_operator((16, 12), (8, 6), sigma=0.8)
    b = rng.random((16, 12))
    x = op.solve_normal(b, 0.05)
    np.testing.assert_allclose(op.adjoint(op.forward(x)) + 0.05 * x, b, atol=1e-10)
    assert np.isclose(op.norm_sq, np.linalg.norm(np.kron(op.rh, op.rw), 2) ** 2)


def test_fit_towards_explains_the_data_and_stays_near_the_prior(rng):
    op = gaussian_operator((16, 12), (8, 6), sigma=1.0, bias=-0.01)
    x_true, x0 = rng.random((16, 12)), rng.random((16, 12))
    y = op.forward(x_true) + op.bias
    for mu in (1e-6, 0.1, 1e3):  # stationary point of the objective
        x = op.fit_towards(y, x0, mu)
        np.testing.assert_allclose(op.adjoint(op.forward(x) + op.bias - y) + mu * (x - x0), 0, atol=1e-9)
    tight = op.fit_towards(y, x0, 1e-6)
    np.testing.assert_allclose(op.forward(tight) + op.bias, y, atol=1e-5)  # small mu: consistent with y
    # ... and, of the consistent images, it is the one nearest x0: the change lies in the row space of D
    dx = tight - x0
    np.testing.assert_allclose(op.solve_normal(op.adjoint(op.forward(dx)), 1e-9), dx, atol=1e-4)
    np.testing.assert_allclose(op.fit_towards(y, x0, 1e6), x0, atol=1e-5)  # large mu: the prior


def test_taps_matrix_centred_box_is_block_mean():
    m = taps_matrix(8, 4, np.array([0.5, 0.5]))
    np.testing.assert_allclose(m @ np.arange(8.0), [0.5, 2.5, 4.5, 6.5])


def test_compose_equals_chained_maps(rng):
    op = gaussian_operator((16, 16), (8, 8))
    up = rng.random((16, 12))
    mid = rng.random((12, 12))
    np.testing.assert_allclose(op.compose(up, up).forward(mid), op.forward(up @ mid @ up.T))


def test_bad_specs_raise():
    with pytest.raises(ValueError, match="unknown degradation operator 'gausian'; did you mean 'gaussian'"):
        make_operator("gausian", (8, 8), (4, 4))
    with pytest.raises(ValueError, match="bad options"):
        make_operator({"kind": "gaussian", "sigmaa": 1}, (8, 8), (4, 4))
    with pytest.raises(ValueError, match="integer scale"):
        make_operator({"kind": "kernel", "taps_h": [1.0]}, (9, 8), (4, 4))
    with pytest.raises(ValueError, match="needed"):
        make_operator(gaussian_operator((8, 8), (4, 4)), (16, 16), (8, 8))
    with pytest.raises(ValueError, match="finite 2-D"):
        SeparableOperator(np.ones(3), np.ones((2, 3)))
    assert set(OPERATORS.names()) == {"bicubic", "gaussian", "kernel"}
