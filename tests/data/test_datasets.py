"""Tests for mrisr.data.datasets (study layout, matching, on-the-fly pairs)."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from mrisr.data import write_image
from mrisr.data.datasets import (
    Pair,
    find_pairs,
    list_images,
    load_pair,
    lr_folder,
    open_split,
    synthetic_pairs,
)
from mrisr.errors import InputError


def test_layout_with_spaces_matched_by_name(study_dataset):
    root = study_dataset
    assert " " in str(root) and (root / "val x2").is_dir()
    pairs = find_pairs(root, "val", 2)
    assert len(pairs) == 4 and all(isinstance(p, Pair) for p in pairs)
    assert [p.name for p in pairs] == sorted(p.name for p in pairs)
    for p in pairs:
        assert p.hr_path == root / "val" / p.name and p.lr_path == root / "val x2" / p.name
    hr, lr = load_pair(pairs[0], 2)
    assert hr.shape == (32, 32) and lr.shape == (16, 16)
    assert find_pairs(root, "train", 4.0)[0].lr_path.parent.name == "train x4"


def test_lr_folder_name():
    assert lr_folder("/d", "val", 2.0).name == "val x2"
    assert lr_folder("/d", "test", 2.5).name == "test x2.5"


def test_rgba_hr_is_read_as_grey(make_study_dataset, tmp_path):
    root = make_study_dataset(tmp_path / "d", n=2, scales=(2,), splits=("val",), rgba=True)
    with Image.open(root / "val" / names(root)[0]) as im:
        assert im.mode == "RGBA"
    hr, _ = load_pair(find_pairs(root, "val", 2)[0], 2)
    assert hr.ndim == 2


def names(root, split="val"):
    return sorted(p.name for p in (root / split).iterdir())


def test_all_problems_in_one_error(study_dataset):
    root = study_dataset
    n = names(root)
    (root / "val x2" / n[1]).unlink()  # HR without LR
    write_image(root / "val x2" / "extra-lr.png", np.full((16, 16), 0.5))  # LR without HR
    write_image(root / "val x2" / n[2], np.full((10, 10), 0.5))  # wrong size
    write_image(root / "val x2" / n[3], np.full((16, 20), 0.5))  # wrong width
    with pytest.raises(InputError) as info:
        find_pairs(root, "val", 2)
    msg = str(info.value)
    assert "\n" not in msg and msg.startswith(str(root))
    assert "4 pairing problem(s)" in msg
    assert f"no LR for {n[1]}" in msg
    assert "no HR for extra-lr.png" in msg
    assert f"{n[2]}: HR 32x32 is not LR 10x10 x 2" in msg
    assert f"{n[3]}: HR 32x32 is not LR 16x20 x 2" in msg


def test_size_within_one_pixel_is_accepted(tmp_path):
    root = tmp_path / "d"
    (root / "val").mkdir(parents=True)
    (root / "val x2").mkdir()
    write_image(root / "val" / "a.png", np.full((33, 31), 0.5))
    write_image(root / "val x2" / "a.png", np.full((16, 16), 0.5))
    assert len(find_pairs(root, "val", 2)) == 1
    assert len(find_pairs(root, "val", 2, check_sizes=False)) == 1


def test_non_image_file_in_data_folder(study_dataset):
    (study_dataset / "val" / "notes.txt").write_text("hello")
    (study_dataset / "val" / ".DS_Store").write_bytes(b"hidden files are ignored")
    with pytest.raises(InputError, match=r"non-image files in data folder: notes\.txt") as info:
        list_images(study_dataset / "val")
    assert str(study_dataset / "val") in str(info.value)
    with pytest.raises(InputError, match="notes.txt"):
        find_pairs(study_dataset, "val", 2)


def test_missing_and_empty_folders(tmp_path, study_dataset):
    with pytest.raises(InputError, match="data folder not found"):
        list_images(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="no images"):
        list_images(tmp_path / "empty")
    with pytest.raises(InputError, match="LR folder for scale 3 not found"):
        find_pairs(study_dataset, "val", 3)
    with pytest.raises(InputError, match="LR folder for scale 3 not found"):
        open_split(study_dataset, "val", 3, on_the_fly=False)


def test_empty_or_corrupt_file_found_while_pairing(study_dataset):
    lr = study_dataset / "val x2" / names(study_dataset)[0]
    lr.write_bytes(b"")
    with pytest.raises(InputError, match=f"{lr.name}: file is empty"):
        find_pairs(study_dataset, "val", 2)
    lr.write_bytes(b"garbage")
    with pytest.raises(InputError, match="not a readable image"):
        find_pairs(study_dataset, "val", 2)


def test_on_the_fly_pairs_at_non_integer_scale(study_dataset):
    pairs = open_split(study_dataset, "val", 2.5)  # no 'val x2.5' folder
    assert len(pairs) == 4 and all(p.lr_path is None for p in pairs)
    hr, lr = load_pair(pairs[0], 2.5)
    assert hr.shape == (32, 32) and lr.shape == (13, 13)  # round(32 / 2.5)
    np.testing.assert_allclose(lr * 255, np.round(lr * 255), atol=1e-4)  # stored like 8-bit LR
    _, lr_g = load_pair(pairs[0], 2.5, degradation="gaussian", quantise=False)
    assert lr_g.shape == (13, 13) and not np.allclose(lr_g, lr, atol=1e-3)


def test_on_the_fly_forced_and_stored_preferred(study_dataset):
    assert all(p.lr_path is not None for p in open_split(study_dataset, "val", 2))
    forced = open_split(study_dataset, "val", 2, on_the_fly=True)
    assert all(p.lr_path is None for p in forced)
    assert [p.name for p in forced] == [p.name for p in synthetic_pairs(study_dataset / "val")]
    stored_lr = load_pair(open_split(study_dataset, "val", 2)[0], 2)[1]
    fly_lr = load_pair(forced[0], 2)[1]
    np.testing.assert_allclose(stored_lr, fly_lr, atol=1e-6)  # the fixture made LR the same way
