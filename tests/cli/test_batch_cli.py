"""``mrisr upscale FOLDER -o OUT``: summary, exit codes, options that apply to folders only."""

from __future__ import annotations

import pytest

from mrisr.cli.main import main
from tests.batch.conftest import make_tree


def test_folder_summary_and_exit_code(tmp_path, capsys):
    tree = make_tree(tmp_path / "in")
    out = tmp_path / "out"
    args = ["upscale", str(tree), "-o", str(out), "--scale", "2", "--method", "bicubic", "--threads", "1"]
    assert main(args) == 1  # two bad files
    cap = capsys.readouterr()
    assert "4 done, 0 skipped, 2 failed in" in cap.out
    failed = [line for line in cap.err.replace("\r", "\n").splitlines() if line.startswith("mrisr: failed: ")]
    assert len(failed) == 2 and "Traceback" not in cap.err
    empty = next(line for line in failed if "empty.png" in line)
    assert empty.count("empty.png") == 1 and "file is empty" in empty  # the file named once, with the problem
    (tree / "a" / "corrupt.png").unlink()
    (tree / "a" / "empty.png").unlink()
    assert main(args) == 0
    assert "0 done, 4 skipped, 0 failed in" in capsys.readouterr().out


def test_list_file_with_suffix(tmp_path, capsys):
    tree = make_tree(tmp_path / "in")
    lst = tmp_path / "in" / "todo.txt"
    lst.write_text("a/slice 0.png\nb/vol 1.nii.gz\n")
    assert main(["upscale", str(lst), "-o", str(tmp_path / "out"), "--scale", "2", "--method", "bicubic",
                 "--suffix", "_x2"]) == 0
    assert (tmp_path / "out" / "a" / "slice 0_x2.png").is_file()
    assert (tmp_path / "out" / "b" / "vol 1_x2.nii.gz").is_file()
    assert "2 done" in capsys.readouterr().out
    del tree


@pytest.mark.parametrize("extra", [["--suffix", "_sr"], ["--fail-fast"], ["--workers", "2"]])
def test_batch_options_need_a_folder(tmp_path, capsys, extra):
    tree = make_tree(tmp_path / "in")
    src = tree / "a" / "slice 0.png"
    code = main(["upscale", str(src), "-o", str(tmp_path / "x.png"), "--scale", "2", "--method", "bicubic", *extra])
    err = capsys.readouterr().err
    assert code == 2 and "apply when the input is a folder or a list file" in err
    assert len(err.strip().splitlines()) == 1


def test_scheduler_and_workers_together_is_an_error(tmp_path, capsys):
    tree = make_tree(tmp_path / "in")
    code = main(["upscale", str(tree), "-o", str(tmp_path / "out"), "--scale", "2", "--scheduler",
                 "tcp://127.0.0.1:1", "--workers", "2"])
    assert code == 2 and "either --scheduler or --workers" in capsys.readouterr().err


def test_output_folder_that_is_a_file(tmp_path, capsys):
    tree = make_tree(tmp_path / "in")
    (tmp_path / "out").write_text("")
    code = main(["upscale", str(tree), "-o", str(tmp_path / "out"), "--scale", "2", "--method", "bicubic"])
    assert code == 2 and "output folder is a file" in capsys.readouterr().err


def test_second_run_into_a_busy_output_folder(tmp_path, capsys):
    from mrisr._outputs import output_folder

    tree = make_tree(tmp_path / "in")
    with output_folder(tmp_path / "out"):  # another run holds the folder
        code = main(["upscale", str(tree), "-o", str(tmp_path / "out"), "--scale", "2", "--method", "bicubic"])
    err = capsys.readouterr().err
    assert code == 2 and "another mrisr run is writing to this folder" in err
    assert not (tmp_path / "out" / "mrisr-manifest.jsonl").exists()


def test_output_folder_inside_the_input(tmp_path, capsys):
    tree = make_tree(tmp_path / "in")
    args = ["upscale", str(tree), "-o", str(tree / "sr"), "--scale", "2", "--method", "bicubic"]
    assert main(args) == 1
    assert main(args) == 1  # the outputs of the first run are not inputs of the second
    assert "0 done, 4 skipped, 2 failed" in capsys.readouterr().out
