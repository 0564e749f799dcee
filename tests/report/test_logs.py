"""Training-log and published-point readers (our CSV and TensorBoard events)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from mrisr.errors import InputError
from mrisr.report.logs import read_log, read_published

CSV_HEAD = "step,epoch,wall_hours,train_loss,lr,val_psnr,val_ssim\n"


def write_csv_log(folder: Path, points: list[tuple[int, float, float | None]]) -> Path:
    """metrics.csv with a training row per point and validation only where given."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = [CSV_HEAD]
    for i, (epoch, hours, psnr) in enumerate(points):
        val = f"{psnr},{psnr / 40:.4f}" if psnr is not None else ","
        lines.append(f"{(i + 1) * 10},{epoch},{hours},0.05,1e-4,{val}\n")
    (folder / "metrics.csv").write_text("".join(lines))
    return folder / "metrics.csv"


def write_tb_log(folder: Path, scalars: dict[str, list[tuple[int, float, float]]]) -> Path:
    """Event file with scalars ``tag -> [(step, wall_time, value)]`` (no torch needed)."""
    from tensorboard.compat.proto import event_pb2, summary_pb2
    from tensorboard.summary.writer.event_file_writer import EventFileWriter

    folder.mkdir(parents=True, exist_ok=True)
    writer = EventFileWriter(str(folder))
    for tag, pts in scalars.items():
        for step, wall, value in pts:
            summ = summary_pb2.Summary(
                value=[summary_pb2.Summary.Value(tag=tag, simple_value=value)]
            )
            writer.add_event(event_pb2.Event(wall_time=wall, step=step, summary=summ))
    writer.close()
    return folder


def test_csv_log_skips_rows_without_validation(tmp_path):
    path = write_csv_log(
        tmp_path / "run_a", [(1, 0.1, None), (1, 0.2, 30.0), (2, 0.4, None), (2, 0.5, 31.5)]
    )
    c = read_log(str(path))
    assert c.label == "run_a"
    np.testing.assert_array_equal(c.epoch, [1, 2])
    np.testing.assert_array_equal(c.hours, [0.2, 0.5])
    np.testing.assert_array_equal(c.val_psnr, [30.0, 31.5])
    assert read_log(f"x2={tmp_path / 'run_a'}").label == "x2"  # folder + label


def test_tensorboard_log_hours_and_epochs(tmp_path):
    t0 = 1_700_000_000.0
    folder = write_tb_log(
        tmp_path / "tb",
        {
            "train/loss": [(0, t0, 0.5), (100, t0 + 1800, 0.2)],
            "val/psnr": [(50, t0 + 3600, 28.0), (100, t0 + 7200, 29.0)],
            "epoch": [(0, t0, 1.0), (60, t0 + 3000, 2.0)],
        },
    )
    c = read_log(str(folder))
    np.testing.assert_allclose(c.hours, [1.0, 2.0])
    np.testing.assert_allclose(c.val_psnr, [28.0, 29.0])
    np.testing.assert_array_equal(c.epoch, [1.0, 2.0])  # epoch in force at steps 50 and 100


def test_tensorboard_without_epoch_scalar_is_hours_only(tmp_path):
    folder = write_tb_log(tmp_path / "tb", {"val/psnr": [(1, 10.0, 27.0), (2, 3610.0, 28.0)]})
    c = read_log(str(folder))
    assert c.epoch is None
    np.testing.assert_allclose(c.hours, [0.0, 1.0])


def test_log_errors(tmp_path):
    with pytest.raises(InputError, match="not found"):
        read_log(str(tmp_path / "nope.csv"))
    (tmp_path / "bad.csv").write_text("step,epoch\n1,1\n")
    with pytest.raises(InputError, match="wall_hours, val_psnr"):
        read_log(str(tmp_path / "bad.csv"))
    write_csv_log(tmp_path / "empty", [(1, 0.1, None)])
    with pytest.raises(InputError, match="no rows with val_psnr"):
        read_log(str(tmp_path / "empty"))
    (tmp_path / "nolog").mkdir()
    with pytest.raises(InputError, match="neither"):
        read_log(str(tmp_path / "nolog"))
    folder = write_tb_log(tmp_path / "tb", {"train/loss": [(1, 1.0, 0.3)]})
    with pytest.raises(InputError, match="no 'val/psnr'"):
        read_log(str(folder))
    (tmp_path / "text.csv").write_text(CSV_HEAD + "1,1,0.1,0.1,1e-4,abc,0.9\n")
    with pytest.raises(InputError, match="line 2.*val_psnr"):
        read_log(str(tmp_path / "text.csv"))


def test_published_points(tmp_path):
    p = tmp_path / "pub.csv"
    p.write_text("run,epoch,val_psnr\n2x,1,29.92\n2x,10,35.02\n4x,1,22.33\n")
    runs = read_published(p)
    assert list(runs) == ["2x", "4x"]
    np.testing.assert_array_equal(runs["2x"][0], [1, 10])
    np.testing.assert_array_equal(runs["2x"][1], [29.92, 35.02])
    p.write_text("run,val_psnr\n2x,3\n")
    with pytest.raises(InputError, match="epoch"):
        read_published(p)
