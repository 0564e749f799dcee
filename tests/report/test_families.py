"""mrisr families: every method under every family, with intervals that hold the mean."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from mrisr.cli.main import main
from mrisr.report.families import (
    default_families,
    evaluate_families,
    markdown,
    summarise,
    write_families,
)

FAMS = {"area": "area+quant:8", "k-space": "kspace+quant:8"}


@pytest.fixture(scope="module")
def hr_split(tmp_path_factory):
    from tests.conftest import make_study_dataset

    return make_study_dataset(tmp_path_factory.mktemp("fam"), n=5, size=32, scales=(2,))


def test_every_family_method_image_and_scale_is_measured(hr_split):
    res = evaluate_families(hr_split, "val", [2, 4], ["bicubic", "zerofill", "nearest"], families=FAMS,
                            progress=False)
    assert len(res.rows) == 2 * 2 * 3 * 5
    summary = summarise(res, resamples=200)
    for row in summary:
        assert row["n"] == 5 and row["psnr_lo"] <= row["psnr"] <= row["psnr_hi"]
        if row["method"] == "bicubic":
            assert row["worst_vs_bicubic"] == 0.0
    # zero-filling inverts a k-space truncation better than bicubic does a blur it did not make
    z = {(r["scale"], r["family"], r["method"]): r["psnr"] for r in summary}
    assert z[2.0, "k-space", "zerofill"] > z[2.0, "k-space", "bicubic"]
    # the rows are the degraded split: the same spec and seed give the same LR image as mrisr evaluate --degrade
    from mrisr.evaluation import evaluate_split

    one = evaluate_split(hr_split, "val", 2, ["nearest"], degrade="kspace+quant:8", seed=0, progress=False)
    np.testing.assert_allclose(res.values(2.0, "k-space", "nearest"), one.values("nearest", "psnr"))


def test_markdown_bolds_each_rows_best_and_shows_the_interval(hr_split):
    res = evaluate_families(hr_split, "val", [2], ["bicubic", "zerofill"], families=FAMS, progress=False)
    text = markdown(summarise(res, resamples=200))
    line = next(ln for ln in text.splitlines() if ln.startswith("| k-space"))
    assert line.count("**") == 2 and "[" in line
    assert "worst single image" in text


def test_methods_run_only_where_their_record_allows(hr_split):
    res = evaluate_families(hr_split, "val", [2, 4], ["bicubic", "liif-x2"], families={"area": "area"}, limit=1,
                            progress=False)
    assert {(r["scale"], r["method"]) for r in res.rows} == {(2.0, "bicubic"), (2.0, "liif-x2"), (4.0, "bicubic")}
    assert "liif-x2" in res.meta["skipped"]["4"]


def test_default_families_scale_the_wide_blur():
    assert default_families(2)["wider Gaussian"] == "gaussian:1.6+quant:8"
    assert default_families(4)["wider Gaussian"] == "gaussian:3.2+quant:8"


def test_holdout_adds_the_held_out_train_images(hr_split):
    from mrisr.data.datasets import holdout_names

    res = evaluate_families(hr_split, "val", [2], ["nearest"], families={"area": "area"}, holdout=2, progress=False)
    images = [r["image"] for r in res.rows]
    assert len(images) == 7 and set(holdout_names(str(hr_split), "train", 2)) <= set(images)


def test_cli_writes_the_tables(hr_split, tmp_path, capsys):
    out = tmp_path / "fam"
    rc = main(["families", "--data", str(hr_split), "--split", "val", "--scales", "2", "--methods",
               "bicubic,zerofill", "--family", "area=area+quant:8", "--resamples", "100", "--out", str(out),
               "--no-progress"])
    assert rc == 0
    rows = list(csv.DictReader(open(out / "per_image.csv")))
    assert len(rows) == 10 and rows[0]["spec"] == "area+quant:bits=8"
    meta = json.loads((out / "summary.json").read_text())["meta"]
    assert meta["families"]["2"] == {"area": "area+quant:bits=8"}
    assert (out / "families.md").read_text().startswith("**2x**")


@pytest.mark.parametrize("args, message", [
    (["--family", "kspace", "--methods", "bicubic"], "LABEL=SPEC"),
    (["--family", "a=kspce", "--methods", "bicubic"], "kspace"),
    (["--methods", "bicubc"], "did you mean 'bicubic'"),
    (["--scales", "2,x", "--methods", "bicubic"], "comma-separated numbers"),
])
def test_cli_bad_input_is_one_line(hr_split, tmp_path, capsys, args, message):
    rc = main(["families", "--data", str(hr_split), "--split", "val", "--out", str(tmp_path / "o"), *args])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and message in err and len(err.splitlines()) == 1
    assert not (tmp_path / "o").exists()


def test_write_families_files_round_trip(hr_split, tmp_path):
    res = evaluate_families(hr_split, "val", [2], ["nearest"], families={"area": "area"}, limit=2, progress=False)
    paths = write_families(res, tmp_path / "w", resamples=50)
    assert [p.name for p in paths] == ["per_image.csv", "summary.json", "families.md"]


def test_a_contrast_change_reaches_every_family_and_is_recorded(hr_split):
    plain = evaluate_families(hr_split, "val", [2], ["bicubic"], families=FAMS, progress=False)
    other = evaluate_families(hr_split, "val", [2], ["bicubic"], families=FAMS, contrast="remap:nonmonotone",
                              progress=False)
    assert other.meta["contrast"].startswith("remap:kind=nonmonotone") and plain.meta["contrast"] == ""
    for fam in FAMS:
        assert not np.allclose(plain.values(2, fam, "bicubic"), other.values(2, fam, "bicubic"))
    with pytest.raises(ValueError, match="resampling"):
        evaluate_families(hr_split, "val", [2], ["bicubic"], families=FAMS, contrast="area", progress=False)
