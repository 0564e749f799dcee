import numpy as np
from scipy.optimize import minimize

from mrisr.classical import prox


def test_grad_adjoint(rng):
    x, g = rng.random((3, 7, 9)), rng.random((2, 3, 7, 9))
    assert np.isclose(np.sum(prox.grad(x) * g), np.sum(x * prox.grad_adjoint(g)))


def test_svt_matches_svd_closed_form(rng):
    for shape in [(5, 8), (8, 5), (4, 6, 3)]:
        m = rng.standard_normal(shape)
        u, s, vt = np.linalg.svd(m, full_matrices=False)
        expected = (u * np.maximum(s - 0.7, 0)[..., None, :]) @ vt
        np.testing.assert_allclose(prox.svt(m, 0.7), expected, atol=1e-9)
        np.testing.assert_allclose(prox.nuclear_norm(m), s.sum(-1), atol=1e-9)


def test_svt_is_the_nuclear_prox(rng):
    """Brute force: SVT minimises 1/2 ||Z - M||^2 + tau ||Z||_* (random perturbations do worse)."""
    m, tau = rng.standard_normal((4, 3)), 0.5
    z = prox.svt(m, tau)

    def f(a):
        return 0.5 * np.sum((a - m) ** 2) + tau * np.linalg.svd(a, compute_uv=False).sum()

    best = f(z)
    assert all(f(z + 1e-3 * rng.standard_normal(z.shape)) >= best - 1e-12 for _ in range(200))


def test_isotropic_shrink_matches_numerical_prox(rng):
    v, tau = rng.standard_normal((2, 5)), 0.6
    out = prox.shrink_isotropic(v, tau)
    for k in range(5):
        res = minimize(lambda z, k=k: 0.5 * np.sum((z - v[:, k]) ** 2) + tau * np.hypot(*z),
                       x0=v[:, k], method="Nelder-Mead", options={"xatol": 1e-10, "fatol": 1e-14})
        np.testing.assert_allclose(out[:, k], res.x, atol=1e-4)
    small = np.array([[0.1], [0.2]])
    np.testing.assert_array_equal(prox.shrink_isotropic(small, 1.0), 0.0)


def test_tv_closed_form():
    x = np.zeros((4, 4))
    x[:, 2:] = 1.0  # one vertical edge of height 4
    assert np.isclose(prox.tv(x), 4.0)


def test_patch_groups_roundtrip_and_matching(rng):
    x = rng.random((2, 20, 20))
    x[1, :, :10] = x[1, :, 10:]  # left half repeats the right half exactly
    g = prox.match_patches(x, patch=4, group=4, search=10, stride=5)
    np.testing.assert_allclose(g.aggregate(g.extract(x), x), x)
    mats = g.extract(x)
    # each group contains its reference, and the repeated half gives an exact twin (distance 0)
    assert np.allclose(np.min(np.sum((mats[:, 1:] - mats[:, :1]) ** 2, -1), -1)[g.n[:, 0] == 1].min(), 0)
    assert g.counts.shape == x.shape and g.counts.max() >= 1


def test_svt_warm_basis_is_exact_for_the_same_subspace(rng):
    m = rng.standard_normal((10, 6, 9))
    exact, basis = prox.svt_basis(m, 0.4)
    np.testing.assert_allclose(exact, prox.svt(m, 0.4))
    # a matrix with the same left singular vectors (rescaled singular values) reuses the basis exactly
    u, s, vt = np.linalg.svd(m, full_matrices=False)
    m2 = (u * (2.0 * s)[..., None, :]) @ vt
    np.testing.assert_allclose(prox.svt_basis(m2, 0.4, basis)[0], prox.svt(m2, 0.4), atol=1e-9)
