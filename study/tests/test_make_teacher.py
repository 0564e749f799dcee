"""study/scripts/make_teacher.py: the output is a stored-pair data root whose HR side is the method's rendering."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from mrisr.data.io import read_image
from mrisr.train.config import parse_train_config
from mrisr.train.data import PatchSampler, load_stack


def _ramp(lr: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """A stand-in model: nearest-neighbour upscale times a ramp (not a resize of the HR, not constant)."""
    s = shape[0] // lr.shape[0]
    return np.kron(lr, np.ones((s, s))) * np.linspace(0.5, 1.0, shape[1])[None, :]


def test_teacher_root_holds_the_renderings_and_the_lr_files(mt, tiny_ixi, tmp_path, tiny_config):
    out = tmp_path / "teacher root"  # a space, as in the study's folder names
    assert mt.make_teacher(_ramp, tiny_ixi, out, scale=4, progress=False) == 6
    names, lr = load_stack(str(tiny_ixi), "train", 4)
    t_names, t_lr = load_stack(str(out), "train", 4)
    _, t_hr = load_stack(str(out), "train", 1, t_names)
    assert t_names == names
    np.testing.assert_array_equal(t_lr, lr)  # the LR side is the original files
    want = np.stack([_ramp(x, (4 * x.shape[0], 4 * x.shape[1])) for x in lr])
    assert t_hr.shape == want.shape
    np.testing.assert_allclose(t_hr, want, atol=0.51 / 65535)  # 16-bit PNG: rounding only
    # not the real HR images: the teacher replaces them
    _, real_hr = load_stack(str(tiny_ixi), "train", 1, names)
    assert np.abs(t_hr - real_hr[:, : t_hr.shape[1], : t_hr.shape[2]]).max() > 0.05
    # usable as training data
    data = {**tiny_config(out)["data"], "pairs": [[4, 1]]}
    cfg = parse_train_config(tiny_config(tiny_ixi, data=data))
    assert len(PatchSampler(cfg.data, seed=0)) == 6


def test_rerun_keeps_written_images_and_repairs_missing_links(mt, tiny_ixi, tmp_path):
    out = tmp_path / "t"
    mt.make_teacher(_ramp, tiny_ixi, out, scale=2, progress=False)
    first = sorted((out / "train").iterdir())[0]
    before = read_image(first)
    link = out / "train x2" / first.name
    link.unlink()  # as if interrupted between the image and its link

    def other(lr, shape):
        return _ramp(lr, shape) * 0.5

    assert mt.make_teacher(other, tiny_ixi, out, scale=2, progress=False) == 0  # nothing re-rendered
    np.testing.assert_array_equal(read_image(first), before)
    assert link.is_symlink() and link.resolve() == (tiny_ixi / "train x2" / first.name).resolve()


def test_limit_takes_the_first_images_by_name(mt, tiny_ixi, tmp_path):
    assert mt.make_teacher(_ramp, tiny_ixi, tmp_path / "t", scale=4, limit=2, progress=False) == 2
    names = [p.name for p in sorted((tiny_ixi / "train x4").iterdir())][:2]
    assert sorted(p.name for p in (tmp_path / "t" / "train").iterdir()) == names
    assert sorted(p.name for p in (tmp_path / "t" / "train x4").iterdir()) == names


def test_from_scale_renders_the_finer_lr_and_pairs_it_with_the_coarser(mt, tiny_ixi, tmp_path):
    out = tmp_path / "t"
    assert mt.make_teacher(_ramp, tiny_ixi, out, scale=4, from_scale=2, progress=False) == 6
    names, x2 = load_stack(str(tiny_ixi), "train", 2)
    _, x4 = load_stack(str(tiny_ixi), "train", 4, names)
    _, t_hr = load_stack(str(out), "train", 1, names)
    _, t_lr = load_stack(str(out), "train", 4, names)
    np.testing.assert_array_equal(t_lr, x4)  # the pairs' LR side: the 4x files
    want = np.stack([_ramp(x, (2 * x.shape[0], 2 * x.shape[1])) for x in x2])  # rendered from the 2x files
    np.testing.assert_allclose(t_hr, want, atol=0.51 / 65535)
    assert not (out / "train x2").exists()


def test_broken_link_is_replaced(mt, tiny_ixi, tmp_path):
    out = tmp_path / "t"
    mt.make_teacher(_ramp, tiny_ixi, out, scale=4, limit=1, progress=False)
    link = next((out / "train x4").iterdir())
    link.unlink()
    link.symlink_to(tmp_path / "moved away" / link.name)  # dangling, as after the data moved
    mt.make_teacher(_ramp, tiny_ixi, out, scale=4, limit=1, progress=False)
    assert link.resolve() == (tiny_ixi / "train x4" / link.name).resolve() and link.exists()


def test_from_scale_needs_the_matching_lr_files(mt, tiny_ixi, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(tiny_ixi, data)  # the fixture is shared: damage a copy
    (data / "train x4" / sorted(p.name for p in (data / "train x4").iterdir())[0]).unlink()
    with pytest.raises(FileNotFoundError, match="train x4"):
        mt.make_teacher(_ramp, data, tmp_path / "t", scale=4, from_scale=2, progress=False)
    assert not (tmp_path / "t").exists()  # nothing written


def test_cli_reports_a_missing_data_folder_in_one_line(mt, tmp_path, monkeypatch, capsys):
    weights = str(Path(__file__).resolve().parents[2] / "src/mrisr/weights/liif_smam_eem_offdomain.safetensors")
    monkeypatch.setattr("sys.argv", ["make_teacher.py", "--weights", weights, "--data", str(tmp_path / "none"),
                                     "--out", str(tmp_path / "t")])
    with pytest.raises(SystemExit) as e:
        mt.main()
    assert "make_teacher: error:" in str(e.value) and "train x4" in str(e.value) and "\n" not in str(e.value)
    assert not (tmp_path / "t").exists()
