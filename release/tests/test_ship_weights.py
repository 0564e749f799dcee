"""release/ship_weights.py: the model card's data line is read from each stage's config and the data folder."""

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


def test_data_line_says_when_the_loss_went_through_an_operator(sw, tiny_ixi):
    stored = {"mode": "stored", "pairs": [[4, 2]]}
    render = {"factor": 2, "operator": {"kind": "gaussian", "sigma": 1.0, "bias": -0.5 / 255}, "margin": 2}
    text = sw._data_text([{"data": stored}, {"data": stored, "render": render}], str(tiny_ixi))
    assert text.endswith("stored 4→2 LR pairs (stage 1), then stored 4→2 LR pairs, the loss through the known "
                         "degradation of a 2x finer rendering (gaussian: sigma 1, bias -0.001961) (stage 2)")


def test_data_line_names_an_aux_source_made_one_level_down(sw, tiny_ixi):
    stored = {"mode": "stored", "pairs": [[4, 2]]}
    aux = {"mode": "synthetic", "pairs": [[4, 1]], "synthetic_from": 2, "operator": {"kind": "gaussian"},
           "quantise": "floor"}
    text = sw._data_text([{"data": stored, "render": {"operator": {"kind": "gaussian"}}, "aux": aux,
                           "aux_every": 2}], str(tiny_ixi))
    assert text.endswith("rendering (gaussian), and every second batch synthetic x4 pairs made from the x2 images "
                         "(gaussian operator, all 16 sampling phases, truncated to 8 bits)")


def test_data_line_names_an_aux_source_with_its_own_root(sw, tiny_ixi):
    stored = {"root": "data", "mode": "stored", "pairs": [[4, 2]]}
    teacher = {"root": "runs/teacher", "mode": "stored", "pairs": [[4, 1]]}
    text = sw._data_text([{"data": stored, "aux": teacher, "aux_every": 2}], str(tiny_ixi))
    assert text.endswith("stored 4→2 LR pairs, and every second batch stored x4 LR pairs from `runs/teacher`")
    same = sw._data_text([{"data": stored, "aux": {**teacher, "root": "data"}, "aux_every": 2}], str(tiny_ixi))
    assert same.endswith("every second batch stored x4 LR pairs")  # the main root is not repeated


def test_data_line_names_the_blind_prior(sw, tiny_ixi):
    blind = {"mode": "on_the_fly", "prior": "blind-v1", "holdout": 1}
    text = sw._data_text([{"data": {"mode": "stored", "pairs": [[2, 1], [4, 1]]}}, {"data": blind}], str(tiny_ixi))
    assert text.startswith("IXI T2 mid-slices, `train` split (5 images)")
    assert text.endswith("then HR degraded on the fly under the `blind-v1` prior (a random scale, contrast change "
                         "and acquisition per image: `mrisr.data.blind`) (stage 2)")
