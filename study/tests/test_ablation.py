"""study/scripts/ablation.py: the paired per-image table over val and held-out training images."""

from __future__ import annotations

import csv
import sys

import numpy as np
import pytest
import yaml

from mrisr.train.config import parse_train_config
from mrisr.train.data import holdout_names
from mrisr.train.loop import train


def test_paired_table_over_val_and_holdout(ablation, tiny_ixi, tiny_config, tmp_path, monkeypatch):
    raw = tiny_config(tiny_ixi, steps=2, val_every=2, ckpt_every=2)
    raw["data"] = {**raw["data"], "pairs": [[2, 1]], "holdout": 2}
    cfg_path = tmp_path / "abl.yaml"
    cfg_path.write_text(yaml.safe_dump(raw))
    runs = tmp_path / "runs"
    for label, over in ablation.VARIANTS.items():  # trained here, so the script finds them done
        spec = dict(raw, model={**raw["model"], "args": dict(raw["model"]["args"])})
        for key, value in over.items():
            spec["model"]["args"][key.rsplit(".", 1)[1]] = None if value == "null" else value
        train(parse_train_config(spec), runs / f"t_{label.replace('+', '_')}", progress=False)
    out = tmp_path / "out"
    monkeypatch.setattr(sys, "argv", ["ablation.py", "--config", str(cfg_path), "--out", str(out),
                                      "--runs", str(runs), "--control-seed", "1"])
    ablation.main()

    rows = list(csv.DictReader(open(out / "per_image.csv")))
    held = holdout_names(str(tiny_ixi), "train", 2)
    for label in ablation.VARIANTS:
        mine = [r for r in rows if r["variant"] == label]
        assert [r["set"] for r in mine] == ["val"] * 6 + ["holdout"] * 2
        assert [r["image"] for r in mine if r["set"] == "holdout"] == held
    text = (out / "results.md").read_text()
    # the pooled mean in the table is the mean of the per-image rows, and LIIF is the reference row
    liif = np.mean([float(r["psnr"]) for r in rows if r["variant"] == "liif"])
    training, line, over_seeds = [x for x in text.splitlines() if x.startswith("| liif |")]  # three tables
    assert f"| {liif:.3f} |" in line and line.endswith("| — | — | — |")
    assert over_seeds.startswith("| liif | 0, 1 |")  # the seed control makes two runs of plain LIIF
    # on the val images the per-image evaluation agrees with the training validator's last figure
    val = np.mean([float(r["psnr"]) for r in rows if r["variant"] == "liif" and r["set"] == "val"])
    trained = [r for r in csv.DictReader(open(out / "liif.metrics.csv")) if r["val_psnr"]][-1]
    assert val == pytest.approx(float(trained["val_psnr"]), abs=1e-3)
    # the seed control was trained by the script itself, as plain LIIF with only the seed changed
    control = yaml.safe_load((runs / "t_liif_seed_1" / "config.yaml").read_text())
    assert control["seed"] == 1 and control["model"]["args"]["smam"] is None and control["model"]["args"]["eem"] is None
    assert [x for x in text.splitlines() if x.startswith("| liif seed 1 |")][-1].endswith("/8 |")
    smam = [x for x in text.splitlines() if x.startswith("| smam |")][1]  # the paired table's row
    assert "/8 |" in smam and "[" in smam  # images improved out of 8, with an interval


def test_seed_table_pairs_runs_by_seed(ablation):
    def rows(label, psnrs):
        return [{"variant": label, "psnr": str(p)} for p in psnrs]

    images = (rows("liif", [30, 32]) + rows("smam", [31, 33]) + rows("liif seed 1", [29, 31])
              + rows("smam seed 1", [29.5, 31.5]) + rows("eem", [30, 30]))
    lines = ablation.seed_table(images, base_seed=0)
    by = {x.split(" | ")[0].lstrip("| "): x for x in lines[2:]}
    # liif runs: 31 (seed 0), 30 (seed 1); smam: 32, 30.5 -> +1.0 and +0.5 against liif of the same seed
    assert by["liif"].startswith("| liif | 0, 1 | 31.000, 30.000 | 30.500 | 0.707 | — | — |")
    assert by["smam"] == "| smam | 0, 1 | 32.000, 30.500 | 31.250 | 1.061 | +1.000, +0.500 | +0.750 |"
    assert by["eem"] == "| eem | 0 | 30.000 | 30.000 | — | -1.000 | -1.000 |"
    assert ablation.seed_table(rows("liif", [30]) + rows("smam", [31]), base_seed=0) == []  # one seed: no table
    assert ablation.split_label("smam+eem seed 2", 0) == ("smam+eem", 2)
