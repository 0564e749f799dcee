"""The one flip/transpose transform shared by the self-ensemble, augmentation and self-supervised batches."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from mrisr.data.dihedral import ALL, Dihedral

IMG = np.arange(12, dtype=np.float32).reshape(3, 4)  # no symmetry: every element gives a different image


class Coins:
    """An ``rng`` stand-in returning the given ``random()`` values in order."""

    def __init__(self, *values: float) -> None:
        self.values = list(values)

    def random(self) -> float:
        return self.values.pop(0)


def test_all_holds_the_eight_elements_of_the_square_group():
    square = np.arange(9).reshape(3, 3)
    group = {np.rot90(f, k).tobytes() for f in (square, square.T) for k in range(4)}
    got = [d.apply(square) for d in ALL]
    assert len(ALL) == 8 and ALL[0] == Dihedral()
    assert {g.tobytes() for g in got} == group
    assert len({d.apply(IMG).tobytes() for d in ALL}) == 8


@pytest.mark.parametrize("d", ALL)
def test_invert_undoes_apply_and_shape_follows(d):
    y = d.apply(IMG)
    assert y.shape == d.shape(IMG.shape)
    np.testing.assert_array_equal(d.invert(y), IMG)


@pytest.mark.parametrize("d", ALL)
def test_numpy_and_torch_agree_on_the_last_two_axes(d):
    batch = np.stack([IMG, IMG + 100])[:, None]  # (2, 1, 3, 4)
    t = d.apply(torch.from_numpy(batch))
    np.testing.assert_array_equal(t.numpy(), d.apply(batch))
    np.testing.assert_array_equal(d.invert(t).numpy(), batch)


def test_apply_is_transpose_then_flips():
    d = Dihedral(transpose=True, flip_rows=True)
    np.testing.assert_array_equal(d.apply(IMG), IMG.T[::-1])
    np.testing.assert_array_equal(Dihedral(flip_cols=True).apply(IMG), IMG[:, ::-1])


@pytest.mark.parametrize("rows", [False, True])
@pytest.mark.parametrize("cols", [False, True])
@pytest.mark.parametrize("transpose", [False, True])
def test_draw_has_the_effect_of_its_coins_in_order(rows, cols, transpose):
    want = IMG[::-1] if rows else IMG
    want = want[:, ::-1] if cols else want
    want = want.T if transpose else want
    coins = Coins(*(0.25 if c else 0.75 for c in (rows, cols, transpose)), 0.1)
    d = Dihedral.draw(coins)
    np.testing.assert_array_equal(d.apply(IMG), want)
    assert coins.values == [0.1]  # exactly three coins used


def test_draw_is_uniform_over_the_group():
    rng = np.random.default_rng(0)
    counts = {d: 0 for d in ALL}
    for _ in range(8000):
        counts[Dihedral.draw(rng)] += 1
    assert set(counts) == set(ALL)
    assert all(800 < n < 1200 for n in counts.values())


@pytest.mark.parametrize("d", ALL)
def test_queries_follow_the_pixels(d):
    h, w = IMG.shape
    ii, jj = np.meshgrid(np.arange(h), np.arange(w), indexing="ij")
    coord = torch.from_numpy(np.stack([(2 * ii + 1) / h - 1, (2 * jj + 1) / w - 1], -1).reshape(-1, 2))
    cell = torch.tensor([2.0 / h, 2.0 / w]).expand_as(coord)
    before = coord.clone()
    new_coord, new_cell = d.apply_queries(coord, cell)
    torch.testing.assert_close(coord, before)  # inputs untouched
    out = d.apply(IMG)
    oh, ow = out.shape
    rows = np.rint(((new_coord[:, 0].numpy() + 1) * oh - 1) / 2).astype(int)
    cols = np.rint(((new_coord[:, 1].numpy() + 1) * ow - 1) / 2).astype(int)
    np.testing.assert_array_equal(out[rows, cols], IMG.ravel())  # each query still sees its pixel
    torch.testing.assert_close(new_cell, torch.tensor([2.0 / oh, 2.0 / ow]).expand_as(coord))
