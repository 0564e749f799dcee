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


def test_a_continued_base_reads_the_shipped_record_and_a_third_stage_is_refused(ss, tmp_path, monkeypatch):
    import json

    weights, records = tmp_path / "weights", tmp_path / "records"
    weights.mkdir()
    records.mkdir()
    (weights / "index.json").write_text(json.dumps({"weights": [
        {"file": "other.safetensors", "steps": 9, "hours": 9.0},
        {"file": "liif_slices.safetensors", "steps": 4000, "hours": 0.378}]}))
    (records / "liif_slices.command.txt").write_text("python train.py --steps 4000\n")
    monkeypatch.setattr(ss, "WEIGHTS", weights)
    monkeypatch.setattr(ss, "RECORDS", records)
    assert ss.earlier_stage("liif-blind") is None  # a first stage: nothing to carry over
    assert ss.earlier_stage("liif-slices") == {"steps": 4000, "hours": 0.378,
                                               "command": "python train.py --steps 4000"}
    (records / "liif_slices.stage1.command.txt").write_text("stage 1")
    with pytest.raises(SystemExit, match="already a second stage"):
        ss.earlier_stage("liif-slices")
