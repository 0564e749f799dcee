"""End to end: files, numbers equal to ``evaluate_split``, cache, skips, CLI errors."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
from PIL import Image

from mrisr.cli.main import main
from mrisr.evaluation import evaluate_split
from mrisr.evaluation import runner as runner_mod
from mrisr.methods import make_method
from mrisr.report import ReportOptions, build_report
from mrisr.report.figures import CURVES_SIZE, qualitative_size

from .test_logs import write_csv_log, write_tb_log

METHODS = ("bicubic", "bilinear", "nearest")


class Counting:
    """Wraps a method and counts its calls."""

    calls: dict[str, int] = {}

    def __init__(self, spec: str, inner) -> None:
        self.spec, self.inner, self.name = spec, inner, spec
        self.info = {"epochs": 7, "hours": 1.25}

    def __call__(self, lr, out_shape):
        Counting.calls[self.spec] = Counting.calls.get(self.spec, 0) + 1
        return self.inner(lr, out_shape)


@pytest.fixture
def counting(monkeypatch):
    """Count method calls; 'nearest' refuses scale 4 as a scale-limited model would."""
    Counting.calls = {}

    def make(spec, *, scale, params=None):
        if spec == "nearest" and scale == 4:
            raise ValueError("model trained for x2 only")
        return Counting(spec, make_method(spec, scale=scale, params=params))

    monkeypatch.setattr(runner_mod, "make_method", make)  # the builder shared with demo and evaluate
    return Counting.calls


def _opts(data: Path, tmp_path: Path, **kw) -> ReportOptions:
    base = dict(
        data=data,
        split="train",
        scales=(2.0,),
        methods=METHODS,
        out=tmp_path / "rep",
        cache_dir=tmp_path / "cache",
        n_resamples=200,
        progress=False,
        images=2,
    )
    base.update(kw)
    return ReportOptions(**base)


def test_report_files_numbers_and_figures(tiny_data, tmp_path):
    lc = write_csv_log(tmp_path / "logs" / "runA", [(1, 0.1, 20.0), (2, 0.2, None), (2, 0.3, 22.0)])
    tb = write_tb_log(
        tmp_path / "logs" / "runB",
        {
            "val/psnr": [(1, 0.0, 19.0), (2, 900.0, 21.0)],
            "train/epoch": [(1, 0.0, 1.0), (2, 900.0, 2.0)],
        },
    )
    pub = tmp_path / "pub.csv"
    pub.write_text("run,epoch,val_psnr\nstudy,1,18.5\nstudy,2,23.0\n")
    rep = build_report(
        _opts(tiny_data, tmp_path, scales=(2.0, 4.0), logs=(str(lc), str(tb)), published=pub)
    )
    out = rep.out
    figs = sorted(p.name for p in (out / "figures").iterdir())
    assert figs == [
        "learning_curves.png",
        "qualitative_x2_IXI000-HH-0000-T2.png",
        "qualitative_x2_IXI003-HH-0000-T2.png",
        "qualitative_x4_IXI000-HH-0000-T2.png",
        "qualitative_x4_IXI003-HH-0000-T2.png",
    ]
    for name in ("index.md", "index.html", "per_image.csv", "summary.csv", "learning_curves.csv"):
        assert (out / name).is_file() and (out / name).stat().st_size > 0
    assert sorted(rep.files) == sorted([*out.glob("*.*"), *(out / "figures").glob("*.png")])
    with Image.open(out / "figures" / "qualitative_x2_IXI000-HH-0000-T2.png") as im:
        assert im.format == "PNG" and im.size == qualitative_size(3)
    with Image.open(out / "figures" / "learning_curves.png") as im:
        assert im.size == CURVES_SIZE
    html = (out / "index.html").read_text()
    for src in re.findall(r'<img src="([^"]+)"', html):
        assert not Path(src).is_absolute() and (out / src).is_file()
    assert html.count("<img") == 5

    for scale in (2.0, 4.0):
        ref = evaluate_split(tiny_data, "train", scale, list(METHODS), progress=False).summary()
        got = {s.method: s for s in next(r for r in rep.scales if r.scale == scale).stats}
        assert set(got) == set(ref)
        for m, s in got.items():
            for key in ("psnr", "psnr_fg", "ssim", "ssim_g"):
                assert s.mean[key] == pytest.approx(ref[m][f"{key}_mean"], rel=1e-12)
    rows = list(csv.DictReader((out / "per_image.csv").open()))
    assert len(rows) == 2 * 3 * 4
    ref_rows = evaluate_split(tiny_data, "train", 2.0, ["bicubic"], progress=False).rows
    mine = {r["image"]: r for r in rows if r["method"] == "bicubic" and r["scale"] == "2"}
    for r in ref_rows:
        assert float(mine[r["image"]]["psnr"]) == pytest.approx(r["psnr"], abs=1e-6)
        assert float(mine[r["image"]]["ssim_g"]) == pytest.approx(r["ssim_g"], abs=1e-6)
    summary = list(csv.DictReader((out / "summary.csv").open()))
    assert {r["method"] for r in summary if r["rank"] == "1"} == {
        max(ref, key=lambda m: ref[m]["psnr_mean"])
    }
    curves = list(csv.DictReader((out / "learning_curves.csv").open()))
    assert [(r["run"], r["val_psnr"]) for r in curves] == [
        ("runA", "20.000000"),
        ("runA", "22.000000"),
        ("runB", "19.000000"),
        ("runB", "21.000000"),
    ]


def test_cache_skips_methods_and_no_cache_reruns(tiny_data, tmp_path, counting):
    first = build_report(_opts(tiny_data, tmp_path))
    assert counting == {m: 4 for m in METHODS}
    second = build_report(_opts(tiny_data, tmp_path, out=tmp_path / "rep2"))
    assert counting == {m: 4 for m in METHODS}  # nothing ran again
    assert all(second.scales[0].cached.values())
    assert [s.mean for s in second.scales[0].stats] == [s.mean for s in first.scales[0].stats]
    assert (tmp_path / "rep2" / "figures" / "qualitative_x2_IXI000-HH-0000-T2.png").is_file()
    # a new figure image: only its outputs are computed
    build_report(_opts(tiny_data, tmp_path, images=("IXI001-HH-0000-T2",)))
    assert counting == {m: 5 for m in METHODS}
    figs = sorted(p.name for p in (tmp_path / "rep" / "figures").iterdir())
    assert figs == [
        "qualitative_x2_IXI001-HH-0000-T2.png"
    ]  # figures of the earlier report are gone
    build_report(_opts(tiny_data, tmp_path, use_cache=False))
    assert counting == {m: 9 for m in METHODS}
    build_report(_opts(tiny_data, tmp_path, limit=3))  # other data: a cache miss
    assert counting == {m: 12 for m in METHODS}


def test_scale_limited_method_is_skipped_and_info_shown(tiny_data, tmp_path, counting):
    rep = build_report(_opts(tiny_data, tmp_path, scales=(2.0, 4.0)))
    x4 = next(r for r in rep.scales if r.scale == 4.0)
    assert "nearest" in x4.skipped and "nearest" not in {s.method for s in x4.stats}
    md = (rep.out / "index.md").read_text()
    assert "`nearest` skipped at ×4: model trained for x2 only" in md
    assert "| nearest |" in md and "skipped" in md
    assert "1.25" in md and "| 7 |" in md  # training info from the method's info dict


def test_unknown_method_is_a_clear_error(tiny_data, tmp_path):
    with pytest.raises(ValueError, match="unknown method 'bicubci'; did you mean 'bicubic'"):
        build_report(_opts(tiny_data, tmp_path, methods=("bicubci",)))
    assert not (tmp_path / "rep").exists()


def test_method_invalid_at_every_scale_is_an_error(tiny_data, tmp_path):
    with pytest.raises(
        ValueError, match="cannot run at any requested scale.*takes no ':' argument"
    ):
        build_report(_opts(tiny_data, tmp_path, methods=("bicubic:x",)))


def test_cli_missing_data_folder(tmp_path, capsys):
    code = main(
        [
            "report",
            "--data",
            str(tmp_path / "missing"),
            "--split",
            "val",
            "--scales",
            "2",
            "--methods",
            "bicubic",
            "--out",
            str(tmp_path / "out"),
        ]
    )
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert len(err.splitlines()) == 1 and "missing" in err and "data folder not found" in err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--scales", "2,x"], "--scales"),
        (["--box", "1,2"], "--box"),
        (["--images", "nope.png"], "not in the split"),
        (["--logs", "nothere.csv"], "training log not found"),
    ],
)
def test_cli_bad_options_exit_2_without_output(tiny_data, tmp_path, capsys, args, message):
    base = [
        "report",
        "--data",
        str(tiny_data),
        "--split",
        "train",
        "--scales",
        "2",
        "--methods",
        "bicubic",
        "--out",
        str(tmp_path / "out"),
        "--cache-dir",
        str(tmp_path / "c"),
        "--no-progress",
    ]
    assert main(base + args) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_cli_runs(tiny_data, tmp_path, capsys):
    args = [
        "report",
        "--data",
        str(tiny_data),
        "--split",
        "train",
        "--scales",
        "2",
        "--methods",
        "bicubic,nearest",
        "--out",
        str(tmp_path / "out"),
        "--cache-dir",
        str(tmp_path / "c"),
        "--no-progress",
        "--resamples",
        "100",
        "--box",
        "8,8,12,12",
        "--images",
        "1",
    ]
    assert main(args) == 0
    assert "0 from cache" in capsys.readouterr().out
    assert main(args) == 0
    assert "2 from cache" in capsys.readouterr().out
    assert "8,8,12,12" in (tmp_path / "out" / "index.md").read_text()


def test_cli_repeated_logs_options_all_reach_the_curves(tiny_data, tmp_path):
    a = write_csv_log(tmp_path / "a", [(1, 0.1, 30.0), (2, 0.2, 31.0)])
    b = write_csv_log(tmp_path / "b", [(1, 0.1, 29.0)])
    c = write_csv_log(tmp_path / "c", [(1, 0.1, 28.0)])
    args = ["report", "--data", str(tiny_data), "--split", "train", "--scales", "2", "--methods", "bicubic",
            "--out", str(tmp_path / "out"), "--cache-dir", str(tmp_path / "cache"), "--no-progress",
            "--resamples", "50", "--logs", f"first={a}", f"second={b}", "--logs", f"third={c}"]
    assert main(args) == 0
    with open(tmp_path / "out" / "learning_curves.csv") as fh:
        runs = {row["run"] for row in csv.DictReader(fh)}
    assert runs == {"first", "second", "third"}  # a second --logs adds to the first, it does not replace it
