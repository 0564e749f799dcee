"""Tests for mrisr.evaluation (runner, table, result files)."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from mrisr.data import find_pairs, load_pair
from mrisr.evaluation import (
    evaluate_images,
    evaluate_pairs,
    evaluate_split,
    format_table,
    write_results,
)
from mrisr.methods import make_method
from mrisr.metrics import image_metrics


def test_evaluate_split_rows_and_summary(study_dataset):
    res = evaluate_split(study_dataset, "val", 2, ["nearest", "bicubic"], progress=False)
    assert len(res.rows) == 8 and res.methods() == ["nearest", "bicubic"]
    assert res.meta["images"] == 4 and res.meta["lr"] == "stored" and res.meta["scale"] == 2.0
    # per-image values are the metrics of the method's output against the HR
    pair = find_pairs(study_dataset, "val", 2)[0]
    hr, lr = load_pair(pair, 2)
    direct = image_metrics(make_method("bicubic", scale=2)(lr, hr.shape), hr)
    row = next(r for r in res.rows if r["method"] == "bicubic" and r["image"] == pair.name)
    for k, v in direct.items():
        assert row[k] == pytest.approx(v)
    s = res.summary()
    assert s["bicubic"]["n"] == 4
    assert s["bicubic"]["psnr_mean"] == pytest.approx(np.mean(res.values("bicubic", "psnr")))
    assert s["bicubic"]["psnr_sd"] == pytest.approx(np.std(res.values("bicubic", "psnr"), ddof=1))
    assert s["bicubic"]["psnr_mean"] > s["nearest"]["psnr_mean"]
    assert s["bicubic"]["seconds_mean"] >= 0


def test_limit_on_the_fly_and_validation(study_dataset):
    res = evaluate_split(study_dataset, "train", 2.5, ["bilinear"], limit=2, progress=False)
    assert res.meta["images"] == 2 and res.meta["lr"] == "on-the-fly"
    assert [r["image"] for r in res.rows] == sorted(r["image"] for r in res.rows)
    with pytest.raises(ValueError, match="limit must be >= 1"):
        evaluate_split(study_dataset, "val", 2, ["bicubic"], limit=0)
    with pytest.raises(ValueError, match="scale must be"):
        evaluate_split(study_dataset, "val", 1, ["bicubic"])
    with pytest.raises(ValueError, match="did you mean 'bilinear'"):
        evaluate_split(study_dataset, "val", 2, ["bilinaer"])


def test_keep_outputs_and_bad_method(study_dataset):
    pairs = find_pairs(study_dataset, "val", 4)
    kept = []
    evaluate_pairs(pairs, {"b": make_method("bicubic", scale=4)}, 4, progress=False,
                   keep_outputs=lambda m, n, sr: kept.append((m, n, sr.shape)))
    assert kept == [("b", p.name, (32, 32)) for p in pairs]
    with pytest.raises(RuntimeError, match="returned shape"):
        evaluate_pairs(pairs, {"bad": lambda lr, shape: lr}, 4, progress=False)


def test_evaluate_images_in_memory():
    hr = np.tile(np.linspace(0.1, 0.9, 16, dtype=np.float32), (16, 1))
    lr = hr[::2, ::2]
    res = evaluate_images([("a", hr, lr)], {"nearest": make_method("nearest", scale=2)}, progress=False)
    assert len(res.rows) == 1 and res.rows[0]["image"] == "a" and np.isfinite(res.rows[0]["psnr"])


def test_table_and_files(study_dataset, tmp_path):
    res = evaluate_split(study_dataset, "val", 2, ["nearest", "bicubic"], progress=False)
    table = format_table(res)
    lines = table.splitlines()
    assert len(lines) == 4 and "PSNR" in lines[0] and "SSIM 7u" in lines[0] and "SSIM 11g" in lines[0]
    s = res.summary()["bicubic"]
    assert f"{s['psnr_mean']:.3f} ± {s['psnr_sd']:.2f}" in table
    csv_path, json_path = write_results(res, tmp_path / "out" / "deep")
    with open(csv_path, newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 8 and set(rows[0]) == {"method", "image", "psnr", "psnr_fg", "ssim", "ssim_g", "seconds"}
    assert float(rows[0]["psnr"]) == pytest.approx(res.rows[0]["psnr"], abs=1e-6)
    data = json.loads(json_path.read_text())
    assert data["meta"]["split"] == "val" and data["summary"]["bicubic"]["n"] == 4
    assert sorted(p.name for p in csv_path.parent.iterdir()) == ["per_image.csv", "summary.json"]


def test_per_image_csv_is_one_writer_for_every_table(study_dataset):
    from mrisr.evaluation import PER_IMAGE_COLUMNS, per_image_csv

    x2 = evaluate_split(study_dataset, "val", 2, ["nearest"], progress=False)
    x4 = evaluate_split(study_dataset, "val", 4, ["nearest"], progress=False)
    text = per_image_csv([x2, x4], ("scale", *PER_IMAGE_COLUMNS))
    assert "\r" not in text and text.endswith("\n")  # one line ending, "\n", in every CSV mrisr writes
    rows = list(csv.DictReader(text.splitlines()))
    assert [r["scale"] for r in rows] == ["2"] * 4 + ["4"] * 4
    for row, src in zip(rows, x2.rows + x4.rows, strict=True):
        assert row["image"] == src["image"] and row["psnr"] == f"{src['psnr']:.6f}"
    # a subset of columns, in the order asked (the demo's metrics.csv has no image column)
    head = per_image_csv([x2], ("scale", "method", "ssim")).splitlines()[:2]
    assert head == ["scale,method,ssim", f"2,nearest,{x2.rows[0]['ssim']:.6f}"]


def test_results_meta_describes_the_split(study_dataset):
    from mrisr.evaluation import results_meta

    pairs = find_pairs(study_dataset, "val", 2)
    meta = results_meta(study_dataset, "val", 2.0, ["bicubic"], pairs, shave=3)
    assert meta == {"data": str(study_dataset), "split": "val", "scale": 2.0, "methods": ["bicubic"],
                    "shave": 3, "images": 4, "lr": "stored"}
    assert results_meta(study_dataset, "val", 2.0, [], [])["lr"] == "on-the-fly"


def test_build_methods_skips_what_cannot_run_at_the_scale_and_says_why(tmp_path):
    from mrisr.errors import InputError
    from mrisr.evaluation import build_methods

    built, skipped = build_methods(["bicubic", "liif-x4"], 2)
    assert list(built) == ["bicubic"] and callable(built["bicubic"])
    assert set(skipped) == {"liif-x4"} and "validated for scale 4, not 2" in skipped["liif-x4"]
    assert "\n" not in skipped["liif-x4"]
    with pytest.raises(ValueError, match="did you mean 'bicubic'"):  # unknown names are errors
        build_methods(["bicubc"], 2)
    with pytest.raises(InputError):  # so is a file the user named that cannot be used
        build_methods([f"liif:{tmp_path / 'missing.safetensors'}"], 2)
