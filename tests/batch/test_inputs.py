"""Finding a batch's inputs and naming its outputs."""

from __future__ import annotations

import pytest

from mrisr.batch import find_inputs, is_batch_input, output_name, sha256_of
from mrisr.errors import InputError


def test_folder_is_searched_recursively_in_order(tree):
    rels = [it.rel for it in find_inputs(tree)]
    assert rels == ["a/corrupt.png", "a/empty.png", "a/slice 0.png", "a/slice 2.png",
                    "b/vol 1.nii.gz", "b/deep/slice 1.png"]
    assert is_batch_input(tree) and not is_batch_input(tree / "a" / "slice 0.png")


def test_dicom_folder_is_one_input(tree):
    series = tree / "b" / "series1"
    series.mkdir()
    (series / "IM0001").write_bytes(b"\0" * 128 + b"DICM" + b"\0" * 8)
    items = {it.rel: it for it in find_inputs(tree)}
    assert "b/series1" in items and items["b/series1"].source == series
    assert not is_batch_input(series)  # a DICOM series folder alone is one volume
    assert output_name("b/series1", "_sr") == "b/series1_sr.nii.gz"


def test_list_file_relative_to_its_folder(tree):
    lst = tree / "list.txt"
    lst.write_text("# two inputs\na/slice 0.png\n\n" + str(tree / "b" / "deep" / "slice 1.png") + "\n")
    items = find_inputs(lst)
    assert [it.rel for it in items] == ["a/slice 0.png", "b/deep/slice 1.png"]
    assert items[0].source.is_file()


def test_no_input_is_one_error(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="no PNG, TIFF, NIfTI or DICOM input found"):
        find_inputs(tmp_path / "empty")
    with pytest.raises(InputError, match="no such file"):
        find_inputs(tmp_path / "missing")


@pytest.mark.parametrize(("rel", "suffix", "out"), [
    ("a/x.png", "", "a/x.png"), ("a/x.png", "_sr", "a/x_sr.png"), ("v.nii.gz", "_sr", "v_sr.nii.gz"),
    ("v.nii", "_sr", "v_sr.nii"), ("t.TIF", "-2x", "t-2x.TIF"),
])
def test_output_name(rel, suffix, out):
    assert output_name(rel, suffix) == out


def test_sha256_of_file_and_folder(tmp_path):
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "1").write_bytes(b"a")
    h1 = sha256_of(tmp_path / "d")
    (tmp_path / "d" / "1").write_bytes(b"b")
    assert sha256_of(tmp_path / "d") != h1
    (tmp_path / "f").write_bytes(b"")
    assert sha256_of(tmp_path / "f") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


def test_a_text_file_that_lists_nothing_is_refused(tmp_path):
    (tmp_path / "notes.txt").write_text("hello\n")
    with pytest.raises(InputError, match=r"notes.txt: not a list of input paths: none of its 1 lines"):
        find_inputs(tmp_path / "notes.txt")
    (tmp_path / "bin.txt").write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(InputError, match="not UTF-8 text"):
        find_inputs(tmp_path / "bin.txt")


def test_listed_missing_file_is_an_item_that_will_fail(tree):
    lst = tree / "list.txt"
    lst.write_text("a/slice 0.png\na/gone.png\n")
    assert [it.rel for it in find_inputs(lst)] == ["slice 0.png", "gone.png"]  # relative to their common folder


def test_output_folder_inside_the_input_is_not_searched(tree):
    (tree / "sr" / "a").mkdir(parents=True)
    (tree / "sr" / "a" / "slice 0.png").write_bytes(b"")
    rels = [it.rel for it in find_inputs(tree, exclude=tree / "sr")]
    assert not any(r.startswith("sr/") for r in rels) and "a/slice 0.png" in rels
