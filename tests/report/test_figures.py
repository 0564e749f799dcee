"""Figures decode as PNG of the expected size; image and box choices."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from mrisr.errors import InputError
from mrisr.report import figures
from mrisr.report.logs import Curve


def test_pick_images_is_deterministic_and_spread():
    names = [f"n{i}" for i in range(10)][::-1]
    assert figures.pick_images(names, 3) == [
        "n0",
        "n4",
        "n9",
    ]  # linspace(0, 9, 3) rounded half to even
    assert figures.pick_images(names, None, default=2) == ["n0", "n9"]
    assert figures.pick_images(names, 50) == sorted(names)
    assert figures.pick_images(names, ["n4", "n2"]) == ["n4", "n2"]
    with pytest.raises(InputError, match="not in the split: zz"):
        figures.pick_images(names, ["zz"])
    with pytest.raises(InputError, match=">= 1"):
        figures.pick_images(names, 0)


@pytest.mark.parametrize("text", ["1,2,3", "a,b,c,d", "0,0,1,5", "-1,0,4,4"])
def test_parse_box_rejects(text):
    with pytest.raises(InputError, match="--box"):
        figures.parse_box(text)


def test_box_must_fit():
    assert figures.parse_box("4,5,10,12") == (4, 5, 10, 12)
    with pytest.raises(InputError, match="does not fit"):
        figures.check_box((20, 0, 16, 16), (32, 32))


def test_auto_box_finds_the_textured_region():
    img = np.zeros((64, 64))
    img[40:56, 8:24] = np.indices((16, 16)).sum(0) % 2  # checkerboard, lower-left
    y, x, h, w = figures.auto_box(img)
    assert (h, w) == (16, 16)
    assert 40 - 8 <= y <= 40 + 8 and 8 - 8 <= x <= 8 + 8
    assert y + h <= 64 and x + w <= 64


@pytest.mark.parametrize("n_methods", [1, 3])
def test_qualitative_figure_png_size(tmp_path, n_methods):
    rng = np.random.default_rng(0)
    hr = rng.random((32, 32)).astype(np.float32)
    outs = {f"m{i}": np.clip(hr + 0.05 * rng.normal(size=hr.shape), 0, 1) for i in range(n_methods)}
    path = figures.qualitative_figure(
        tmp_path / "q.png", hr, hr[::2, ::2], outs, box=(4, 4, 10, 10), title="t"
    )
    with Image.open(path) as im:
        assert im.format == "PNG"
        assert im.size == figures.qualitative_size(n_methods)
    w1, h1 = figures.qualitative_size(1)
    w3, h3 = figures.qualitative_size(3)
    assert (w3 - w1, h3 - h1) == (2 * (figures.PANEL_PX + figures.GAP_PX), 0)
    assert not list(tmp_path.glob(".*tmp*"))  # atomic write left no temporary file


def test_error_range_is_shared_max_of_percentiles():
    hr = np.zeros((10, 10))
    small, big = np.full_like(hr, 0.1), np.full_like(hr, 0.4)
    assert figures.error_range(hr, {"a": small, "b": big}) == pytest.approx(0.4)


def test_learning_curves_png_size(tmp_path):
    c = Curve("a", np.array([28.0, 30.0]), np.array([0.5, 1.0]), np.array([1.0, 2.0]), "x")
    d = Curve("b", np.array([27.0, 29.0]), np.array([0.2, 0.9]), None, "y")
    pub = {"2x": (np.array([1.0, 10.0]), np.array([29.9, 35.0]))}
    path = figures.learning_curves_figure(tmp_path / "lc.png", [c, d], pub)
    with Image.open(path) as im:
        assert im.format == "PNG" and im.size == figures.CURVES_SIZE


def test_learning_curves_stay_distinguishable_past_ten_runs(tmp_path, monkeypatch):
    figs = []
    monkeypatch.setattr(figures, "_save", lambda fig, path: figs.append(fig) or path)
    curves = [Curve(f"run {i}", np.array([28.0, 29.0 + i / 100]), np.array([0.1, 0.2]), np.array([1.0, 2.0]), "x")
              for i in range(12)]
    figures.learning_curves_figure(tmp_path / "lc.png", curves)
    for ax in figs[0].axes[:2]:
        looks = [(line.get_color(), line.get_linestyle(), line.get_marker()) for line in ax.get_lines()]
        assert len(looks) == 12 and len(set(looks)) == 12


def test_learning_curve_legend_clears_the_axis_labels(tmp_path, monkeypatch):
    figs = []
    monkeypatch.setattr(figures, "_save", lambda fig, path: figs.append(fig) or path)
    for n in (2, 15):  # one legend row, and the five rows of a seven-stage model card
        curves = [Curve(f"a rather long run name {i} (x4, CPU)", np.array([28.0, 29.0]), np.array([0.1, 0.2]),
                        np.array([1.0, 2.0]), "x") for i in range(n)]
        figures.learning_curves_figure(tmp_path / "lc.png", curves)
        fig = figs[-1]
        renderer = fig.canvas.get_renderer()
        legend_top = fig.legends[0].get_window_extent(renderer).y1
        for ax in fig.axes[:2]:
            label = ax.xaxis.get_tightbbox(renderer)  # tick labels and axis label
            assert label.y0 > legend_top, n
