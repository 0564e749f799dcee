"""study/scripts/phase_gap.py: shifted pairs are aligned, and a model tied to the stored grid shows a gap."""

from __future__ import annotations

import numpy as np

BLOCK_MEAN = {"kind": "kernel", "taps_h": [0.25] * 4, "start_h": 0, "start_w": 0}


def test_shifted_pair_is_the_block_mean_of_the_shifted_image(pg):
    hr = np.random.default_rng(0).random((16, 16)).astype(np.float32)
    lr, crop = pg.shifted_pair(hr, 4, 1, 3, BLOCK_MEAN, "none")
    np.testing.assert_array_equal(crop, hr[1:13, 3:15])
    np.testing.assert_allclose(lr, crop.reshape(3, 4, 3, 4).mean(axis=(1, 3)), atol=1e-6)


def test_a_model_that_memorised_phase_zero_shows_a_gap(pg):
    rng = np.random.default_rng(1)
    hrs = rng.random((2, 16, 16)).astype(np.float32)
    seen = {pg.shifted_pair(h, 4, 0, 0, BLOCK_MEAN, "none")[0].tobytes(): h for h in hrs}

    def memoriser(lr, shape):  # exact on the pairs it has seen, nearest-neighbour elsewhere
        out = [seen[x.tobytes()] + 1e-3 if x.tobytes() in seen else np.kron(x, np.ones((4, 4))) for x in lr]
        return np.stack([o[: shape[0], : shape[1]] for o in out])

    def nearest(lr, shape):
        return np.stack([np.kron(x, np.ones((4, 4))) for x in lr])

    t = pg.phase_table({"memoriser": memoriser, "nearest": nearest}, hrs, 4, BLOCK_MEAN, "none")
    mem, near = t["memoriser"], t["nearest"]
    assert mem.shape == (2, 4, 4)
    assert mem[:, 0, 0].min() > 55  # exact at phase 0 (up to the 1e-3 offset)
    np.testing.assert_allclose(mem.reshape(2, -1)[:, 1:], near.reshape(2, -1)[:, 1:])  # no better elsewhere
