"""release/ship_slices.py: the held-out split and the through-plane check of the card."""

from __future__ import annotations

import numpy as np
import pytest


def test_the_last_images_by_name_are_held_out(ss, tiny_ixi):
    train, held = ss.held_out_slices(tiny_ixi, 2)
    assert train.shape == (4, 32, 32) and held.shape == (2, 32, 32)
    assert 0 <= held.min() and held.max() <= 1


def test_the_check_scores_each_case_and_interpolation_loses_with_the_factor(ss, tiny_ixi):
    _, held = ss.held_out_slices(tiny_ixi, 3)
    held = np.repeat(np.repeat(held, 2, axis=1), 2, axis=2)  # 64 px: room for 6x along the rows
    scores = ss.plane_scores("bicubic", held)
    assert len(scores) == len(ss.CASES) and np.isfinite(scores).all()
    by_case = dict(zip(ss.CASES, scores, strict=True))
    assert by_case[(2.0, "box", 1.0)] > by_case[(4.0, "box", 1.0)] > by_case[(6.0, "box", 1.0)]
    table = ss.plane_table(["bicubic"], held)
    assert table.splitlines()[2].startswith("| bicubic | ") and f"{scores[0]:.2f}" in table


def test_the_card_template_takes_every_field(ss):
    text = (ss.ROOT / "release" / "liif_slices_card.md").read_text()
    filled = text.format(spec="{}", sha="0" * 64, command="c", table="t", holdout=50, steps=1, hours=0.1,
                         hardware="h", run="r")
    assert "{" not in filled.replace("`{}`", "")
    with pytest.raises(KeyError):
        text.format()
