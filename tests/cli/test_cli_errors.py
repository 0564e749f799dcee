"""Bad input through the CLI: exit 2, one line on stderr, no traceback, no output files."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest

from mrisr.cli.main import main
from mrisr.data import write_image


def val_names(root: Path) -> list[str]:
    return sorted(p.name for p in (root / "val").iterdir())


def corrupt_hr(root):
    (root / "val" / val_names(root)[0]).write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    return val_names(root)[0], "not a readable image"


def empty_lr(root):
    (root / "val x2" / val_names(root)[1]).write_bytes(b"")
    return val_names(root)[1], "file is empty"


def non_image(root):
    (root / "val" / "readme.txt").write_text("x")
    return "readme.txt", "non-image files"


def all_zero_hr(root):
    write_image(root / "val" / val_names(root)[2], np.zeros((32, 32)))
    return val_names(root)[2], "all zeros"


def size_mismatch(root):
    write_image(root / "val x2" / val_names(root)[3], np.full((12, 12), 0.5))
    return val_names(root)[3], "is not LR 12x12 x 2"


def missing_lr(root):
    (root / "val x2" / val_names(root)[0]).unlink()
    return val_names(root)[0], "no LR for"


BROKEN = [corrupt_hr, empty_lr, non_image, all_zero_hr, size_mismatch, missing_lr]


def run_cli(capsys, argv):
    rc = main(argv)
    cap = capsys.readouterr()
    return rc, cap.out, cap.err


def assert_one_line_error(rc, err, *needles):
    assert rc == 2
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("mrisr: error: ") and "Traceback" not in err
    for n in needles:
        assert n in lines[0], (n, lines[0])


@pytest.mark.parametrize("breaker", BROKEN, ids=lambda f: f.__name__)
def test_broken_data(study_dataset, tmp_path, capsys, breaker):
    culprit, problem = breaker(study_dataset)
    out = tmp_path / "results"
    rc, _, err = run_cli(capsys, ["evaluate", "--data", str(study_dataset), "--split", "val", "--scale", "2",
                                  "--method", "bicubic", "--out", str(out)])
    assert_one_line_error(rc, err, culprit, problem)
    assert not out.exists()


def test_missing_data_root(tmp_path, capsys):
    rc, _, err = run_cli(capsys, ["evaluate", "--data", str(tmp_path / "no such"), "--split", "val",
                                  "--scale", "2", "--method", "bicubic"])
    assert_one_line_error(rc, err, "no such", "not found")


@pytest.mark.parametrize("scale", ["1", "0.5", "16.5", "-2", "nan"])
def test_bad_scale(study_dataset, tmp_path, capsys, scale):
    rc, _, err = run_cli(capsys, ["evaluate", "--data", str(study_dataset), "--split", "val", "--scale", scale,
                                  "--method", "bicubic", "--out", str(tmp_path / "o")])
    assert_one_line_error(rc, err, "scale must be > 1 and <= 16")
    assert not (tmp_path / "o").exists()


def test_unknown_method_hint(study_dataset, tmp_path, capsys):
    rc, _, err = run_cli(capsys, ["evaluate", "--data", str(study_dataset), "--split", "val", "--scale", "2",
                                  "--method", "bicubic,bilinaer", "--out", str(tmp_path / "o")])
    assert_one_line_error(rc, err, "unknown method 'bilinaer'", "did you mean 'bilinear'?")
    assert not (tmp_path / "o").exists()


def test_unwritable_out(study_dataset, tmp_path, capsys):
    blocker = tmp_path / "a file"
    blocker.write_text("x")
    rc, out, err = run_cli(capsys, ["evaluate", "--data", str(study_dataset), "--split", "val", "--scale", "2",
                                    "--method", "bicubic", "--out", str(blocker / "results")])
    assert_one_line_error(rc, err, "a file", "output folder")
    assert out == ""  # refused before any work
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a file", "my data"]


@pytest.mark.parametrize("kind", ["4d", "nan"])
def test_bad_nifti_for_demo(tmp_path, capsys, kind):
    data = np.ones((8, 8, 8, 3) if kind == "4d" else (8, 8, 8), np.float32)
    if kind == "nan":
        data[2, 2, 2] = np.nan
    nib.save(nib.Nifti1Image(data, np.eye(4)), str(tmp_path / "bad.nii.gz"))
    rc, _, err = run_cli(capsys, ["demo", "--input", str(tmp_path / "bad.nii.gz"), "--out", str(tmp_path / "o"),
                                  "--methods", "bicubic"])
    assert_one_line_error(rc, err, "bad.nii.gz", "3-D volume" if kind == "4d" else "NaN/Inf")
    assert not (tmp_path / "o").exists()


def test_success_writes_results(study_dataset, tmp_path, capsys):
    rc, out, err = run_cli(capsys, ["evaluate", "--data", str(study_dataset), "--split", "val", "--scale", "4",
                                    "--method", "nearest,bicubic", "--out", str(tmp_path / "o")])
    assert rc == 0 and err == ""
    assert "val x4: 4 images, LR stored" in out and "bicubic" in out
    assert sorted(p.name for p in (tmp_path / "o").iterdir()) == ["per_image.csv", "summary.json"]


def test_subprocess_error_and_help(study_dataset, tmp_path):
    all_zero_hr(study_dataset)
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    env.pop("MRISR_DEBUG", None)
    proc = subprocess.run(
        [sys.executable, "-m", "mrisr.cli.main", "evaluate", "--data", str(study_dataset), "--split", "val",
         "--scale", "2", "--method", "bicubic", "--out", str(tmp_path / "o")],
        capture_output=True, text=True, env=env, timeout=120,
    )
    assert_one_line_error(proc.returncode, proc.stderr, "all zeros")
    assert not (tmp_path / "o").exists()
    helped = subprocess.run([sys.executable, "-m", "mrisr.cli.main", "--help"], capture_output=True, text=True,
                            env=env, timeout=120)
    assert helped.returncode == 0 and "evaluate" in helped.stdout and "demo" in helped.stdout
