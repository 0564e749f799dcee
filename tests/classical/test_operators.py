import numpy as np
import pytest

from mrisr.classical.operators import (
    SeparableOperator,
    gaussian_operator,
    make_operator,
    profile_matrix,
    taps_matrix,
)
from mrisr.data.degrade import degrade, operator_names


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
    np.testing.assert_allclose(op.forward(hr), degrade(hr, 2, kind="gaussian", sigma=1.0), atol=1e-6)


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
    with pytest.raises(ValueError, match="unknown degradation 'gausian'; did you mean 'gaussian'"):
        make_operator("gausian", (8, 8), (4, 4))
    with pytest.raises(ValueError, match="unknown gaussian option 'sigmaa'; did you mean 'sigma'"):
        make_operator({"kind": "gaussian", "sigmaa": 1}, (8, 8), (4, 4))
    with pytest.raises(ValueError, match="'kspace' has no operator"):
        make_operator("kspace", (8, 8), (4, 4))
    with pytest.raises(ValueError, match="integer scale"):
        make_operator({"kind": "kernel", "taps_h": [1.0]}, (9, 8), (4, 4))
    with pytest.raises(ValueError, match="needed"):
        make_operator(gaussian_operator((8, 8), (4, 4)), (16, 16), (8, 8))
    with pytest.raises(ValueError, match="finite 2-D"):
        SeparableOperator(np.ones(3), np.ones((2, 3)))
    assert set(operator_names()) == {"area", "bicubic", "gaussian", "kernel", "lanczos", "slice_profile"}


def test_box_profile_of_contiguous_slices_is_the_block_mean():
    np.testing.assert_allclose(profile_matrix(12, 3), taps_matrix(12, 3, np.full(4, 0.25)))
    np.testing.assert_allclose(profile_matrix(5, 5), np.eye(5))


@pytest.mark.parametrize("profile", ["box", "gaussian"])
@pytest.mark.parametrize("n_hr, n_lr, thickness", [(20, 5, 1.0), (17, 5, 1.0), (24, 6, 0.5), (40, 10, 1.7)])
def test_profile_rows_are_centred_weights(profile, n_hr, n_lr, thickness):
    m = profile_matrix(n_hr, n_lr, profile=profile, thickness=thickness)
    assert m.shape == (n_lr, n_hr) and (m >= 0).all()
    np.testing.assert_allclose(m.sum(axis=1), 1.0)
    centres = (np.arange(n_lr) + 0.5) * n_hr / n_lr - 0.5
    reach = 1.5 * thickness * n_hr / n_lr  # rows whose profile stays inside the field of view
    inner = (centres > reach) & (centres < n_hr - 1 - reach)
    assert inner.any()
    np.testing.assert_allclose(m[inner] @ np.arange(n_hr), centres[inner], atol=0.02)  # partial voxels


def test_profile_widths():
    idx = np.arange(40.0)

    def spread(m):
        mean = m @ idx
        return np.sqrt(m @ idx**2 - mean**2)[3:-3]

    # a box over 4 whole voxels: sd of 4 equally weighted points; thinner slices (gaps) and thicker (overlap)
    box, thin, thick = (profile_matrix(40, 10, thickness=t) for t in (1.0, 0.5, 2.0))
    np.testing.assert_allclose(spread(box), np.sqrt((4**2 - 1) / 12))
    np.testing.assert_allclose(spread(thin), np.sqrt((2**2 - 1) / 12))
    assert (spread(thick) > spread(box)).all()
    # a Gaussian of FWHM 4 voxels: sd 4 / 2.3548, widened by the voxel's own width (variance 1 / 12)
    gauss = profile_matrix(40, 10, profile="gaussian")
    np.testing.assert_allclose(spread(gauss), np.sqrt((4 / 2.35482) ** 2 + 1 / 12), rtol=2e-3)


def test_slice_profile_operator_acts_on_the_shorter_axis_only(rng):
    x = rng.random((10, 24))
    op = make_operator({"kind": "slice_profile"}, (10, 24), (10, 6))
    np.testing.assert_allclose(op.forward(x), x.reshape(10, 6, 4).mean(axis=2))
    op = make_operator({"kind": "slice_profile", "profile": "gaussian", "thickness": 1.5}, (24, 10), (8, 10))
    np.testing.assert_allclose(op.forward(x.T), op.rh @ x.T)
    assert op.info == {"profile": "gaussian", "thickness": 1.5}


def test_bad_profiles_raise():
    with pytest.raises(ValueError, match="one of box, gaussian"):
        profile_matrix(8, 4, profile="triangle")
    with pytest.raises(ValueError, match="> 0 spacings"):
        profile_matrix(8, 4, thickness=0)
    with pytest.raises(ValueError, match="bad slice-profile shapes"):
        profile_matrix(4, 8)
