"""scripts/ship_weights.py: the model card's data line is read from each stage's config and the data folder."""

from __future__ import annotations


def test_data_line_names_each_stage_and_counts_the_images(sw, tiny_ixi):
    stored = {"mode": "stored", "pairs": [[4, 1]]}
    synthetic = {"mode": "synthetic", "pairs": [[4, 1]], "operator": {"kind": "kernel"}, "quantise": "floor",
                 "holdout": 2}
    stages = [{"data": {"mode": "stored", "pairs": [[2, 1], [4, 1]]}}, {"data": stored}, {"data": stored},
              {"data": synthetic}]
    text = sw._data_text(stages, str(tiny_ixi))
    assert text.startswith("IXI T2 mid-slices, `train` split (4 images)")  # 6 images, 2 held out by the last stage
    assert "stored x2, x4 LR pairs (stage 1), then stored x4 LR pairs (stages 2–3)" in text
    assert "synthetic x4 pairs (kernel operator, all 16 sampling phases, truncated to 8 bits) (stage 4)" in text
    one = sw._data_text([{"data": {"mode": "stored", "pairs": [[4, 2]]}}], str(tiny_ixi))
    assert one == "IXI T2 mid-slices, `train` split (6 images), stored 4→2 LR pairs"
