"""The bad-input matrix: every user mistake is one line on stderr, exit 2, no traceback, nothing written.

Each case builds its bad file or option in a fresh tree of tiny generated files
(an image, a volume, a study-layout dataset, a config), runs the CLI in-process
and checks: exit code 2, exactly one stderr line starting ``mrisr``, no
``Traceback``, the offending file or option named, and the tree byte-identical
afterwards (so no payload of a pickled file ran: it would have written a file).
"""

from __future__ import annotations

import hashlib
import os
import pickle
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest
import torch

from mrisr.cli.main import main
from mrisr.data import write_image
from tests.conftest import make_study_dataset, phantom

MARKER = "PAYLOAD_RAN"


class _Payload:
    """Unpickling this writes MARKER next to the file: proof that code ran."""

    def __init__(self, folder: Path) -> None:
        self.target = str(folder / MARKER)

    def __reduce__(self):
        return (Path.write_text, (Path(self.target), "pwned"))


@dataclass
class Tree:
    root: Path
    img: Path
    vol: Path
    data: Path
    config: Path

    def __call__(self, name: str) -> str:
        return str(self.root / name)


@pytest.fixture
def tree(tmp_path: Path) -> Tree:
    img = tmp_path / "slice.png"
    write_image(img, phantom(16))
    vol = tmp_path / "t2.nii.gz"
    nib.save(nib.Nifti1Image(np.stack([phantom(8, seed=k) for k in range(3)], axis=2), np.diag([1, 1, 3, 1])),
             str(vol))
    data = make_study_dataset(tmp_path / "my data", n=2, size=16, scales=(2,), splits=("train", "val"))
    config = tmp_path / "train.yaml"
    config.write_text("name: tiny\n")
    return Tree(tmp_path, img, vol, data, config)


def _save_volume(path: Path, data: np.ndarray) -> str:
    nib.save(nib.Nifti1Image(data.astype(np.float32), np.eye(4)), str(path))
    return str(path)


def _pickled(t: Tree, name: str) -> str:
    path = t.root / name
    if path.suffix == ".safetensors":
        path.write_bytes(pickle.dumps(_Payload(t.root)))
    else:
        torch.save({"model_spec": _Payload(t.root)}, path)
    return str(path)


def _nan_tiff(t: Tree) -> str:
    from PIL import Image

    arr = np.full((8, 8), 0.5, np.float32)
    arr[3, 3] = np.nan
    Image.fromarray(arr, mode="F").save(t("nan.tif"))
    return t("nan.tif")


def _write(t: Tree, name: str, data: bytes) -> str:
    (t.root / name).write_bytes(data)
    return t(name)


def _up(t: Tree, src: str, *extra: str, out: str = "out.png") -> list[str]:
    return ["upscale", src, "--scale", "2", "-o", t(out), "--method", "bicubic", *extra]


def _eval(t: Tree, *extra: str, method: str = "bicubic") -> list[str]:
    return ["evaluate", "--data", str(t.data), "--split", "val", "--scale", "2", "--method", method,
            "--out", t("results"), "--no-progress", *extra]


def _val(t: Tree, k: int = 0) -> Path:
    return sorted((t.data / "val").iterdir())[k]


def _missing_lr(t: Tree) -> tuple[list[str], list[str]]:
    (t.data / "val x2" / _val(t).name).unlink()
    return _eval(t), [_val(t).name, "no LR"]


def _corrupt_hr(t: Tree) -> tuple[list[str], list[str]]:
    _val(t).write_bytes(b"junk")
    return _eval(t), [_val(t).name, "not a readable image"]


def _all_zero_hr(t: Tree) -> tuple[list[str], list[str]]:
    write_image(_val(t, 1), np.zeros((16, 16)))
    return _eval(t), [_val(t, 1).name, "all zeros"]


def _folder(t: Tree, name: str) -> str:
    (t.root / name).mkdir()
    return t(name)


# id -> builds the bad input, returns (argv, words the error line must contain)
CASES: dict[str, Callable[[Tree], tuple[list[str], list[str]]]] = {
    # unreadable or unusable inputs
    "corrupt-png": lambda t: (_up(t, _write(t, "bad.png", b"\x89PNG\r\n\x1a\nnot really")), ["bad.png", "corrupt"]),
    "empty-png": lambda t: (_up(t, _write(t, "empty.png", b"")), ["empty.png", "empty"]),
    "all-zero-png": lambda t: (_up(t, str(write_image(t.root / "zero.png", np.zeros((8, 8))))), ["zero.png", "all zeros"]),
    "nan-tiff": lambda t: (_up(t, _nan_tiff(t)), ["nan.tif", "NaN"]),
    "missing-input": lambda t: (_up(t, t("nope.png")), ["nope.png", "not found"]),
    "input-is-empty-folder": lambda t: (_up(t, _folder(t, "series"), out="o.nii.gz"), ["series"]),
    "text-as-image": lambda t: (_up(t, _write(t, "notes.txt", b"hello")), ["notes.txt"]),
    "corrupt-nifti": lambda t: (_up(t, _write(t, "bad.nii.gz", b"garbage"), out="o.nii.gz"), ["bad.nii.gz"]),
    "empty-nifti": lambda t: (_up(t, _write(t, "e.nii", b""), out="o.nii.gz"), ["e.nii"]),
    "nifti-2d": lambda t: (_up(t, _save_volume(t.root / "flat.nii.gz", np.ones((8, 8))), out="o.nii.gz"),
                           ["flat.nii.gz"]),
    "nifti-4d": lambda t: (_up(t, _save_volume(t.root / "four.nii.gz", np.ones((8, 8, 4, 3))), out="o.nii.gz"),
                           ["four.nii.gz"]),
    "nifti-nan": lambda t: (_up(t, _save_volume(t.root / "nan.nii.gz", np.full((8, 8, 3), np.nan)), out="o.nii.gz"),
                            ["nan.nii.gz"]),
    "demo-4d": lambda t: (["demo", "--input", _save_volume(t.root / "d4.nii.gz", np.ones((8, 8, 8, 2))), "--out",
                           t("demo"), "--methods", "bicubic"], ["d4.nii.gz", "3-D"]),
    # study-layout data
    "missing-lr-partner": _missing_lr,
    "corrupt-hr": _corrupt_hr,
    "all-zero-hr": _all_zero_hr,
    "missing-data-root": lambda t: (["evaluate", "--data", t("absent"), "--split", "val", "--scale", "2",
                                     "--method", "bicubic"], ["absent"]),
    "missing-split": lambda t: (["evaluate", "--data", str(t.data), "--split", "vla", "--scale", "2",
                                 "--method", "bicubic"], ["vla"]),
    # methods and scales
    "unknown-method": lambda t: (_up(t, str(t.img), "--method", "bicubix"), ["bicubix", "bicubic"]),
    "unknown-method-evaluate": lambda t: (_eval(t, method="bicubic,elrvt"), ["elrvt"]),
    "scale-below-1": lambda t: (["upscale", str(t.img), "--scale", "0.5", "-o", t("o.png")], ["scale"]),
    "scale-above-16": lambda t: (["upscale", str(t.img), "--scale", "17", "-o", t("o.png")], ["scale"]),
    "scale-nan": lambda t: (["evaluate", "--data", str(t.data), "--split", "val", "--scale", "nan",
                             "--method", "bicubic"], ["scale"]),
    "scale-text": lambda t: (["upscale", str(t.img), "--scale", "two", "-o", t("o.png")], ["--scale", "two"]),
    "bad-size": lambda t: (["upscale", str(t.img), "--size", "big", "-o", t("o.png")], ["--size", "big"]),
    "through-plane-on-image": lambda t: (["upscale", str(t.img), "--isotropic", "-o", t("o.png")], ["slice.png"]),
    "axis-out-of-range": lambda t: (_up(t, str(t.vol), "--axis", "5", out="o.nii.gz"), ["axis", "5"]),
    "unknown-degradation": lambda t: (["demo", "--out", t("demo"), "--methods", "bicubic", "--degradation", "blurry"],
                                      ["blurry"]),
    "report-images-zero": lambda t: (["report", "--data", str(t.data), "--split", "val", "--scales", "2",
                                      "--methods", "bicubic", "--out", t("rep"), "--images", "0"], ["--images"]),
    "tune-on-test-split": lambda t: (["tune", "elrtv", "--data", str(t.data), "--scale", "2", "--split", "test"],
                                     ["test"]),
    "malformed-params-yaml": lambda t: (_eval(t, "--params", _write(t, "q.yaml", b"a: [1\nb: 2\n"), method="elrtv"),
                                        ["q.yaml", "invalid YAML", "line 2"]),
    "missing-params-file": lambda t: (_eval(t, "--params", t("none.yaml")), ["none.yaml", "not found"]),
    # pickled payloads: refused, never run
    "pickled-pt": lambda t: (_up(t, str(t.img), "--method", f"liif:{_pickled(t, 'evil.pt')}"),
                             ["evil.pt", "refused for safety"]),
    "pickled-pth": lambda t: (["upscale", str(t.img), "--scale", "2", "-o", t("o.png"), "--checkpoint",
                               _pickled(t, "evil.pth")], ["evil.pth", "refused for safety"]),
    "pickled-safetensors": lambda t: (_up(t, str(t.img), "--method", f"liif:{_pickled(t, 'evil.safetensors')}"),
                                      ["evil.safetensors", "safetensors"]),
    "pickled-test-checkpoint": lambda t: (["test", "--checkpoint", _pickled(t, "ck.pt"), "--data", str(t.data),
                                           "--split", "val", "--scale", "2", "--out", t("results")],
                                          ["ck.pt", "refused for safety"]),
    "yaml-python-tag-params": lambda t: (_eval(t, "--params", _write(t, "p.yaml", b"a: !!python/object/apply:os.system [x]\n"),
                                               method="elrtv"), ["p.yaml"]),
    # output paths
    "output-is-folder": lambda t: (_up(t, str(t.img), out=Path(_folder(t, "out.png")).name), ["out.png", "folder"]),
    "output-is-input": lambda t: (_up(t, str(t.img), out="slice.png"), ["slice.png", "input"]),
    "output-wrong-suffix-image": lambda t: (_up(t, str(t.img), out="o.nii.gz"), ["o.nii.gz", ".png"]),
    "output-wrong-suffix-volume": lambda t: (_up(t, str(t.vol), out="o.png"), ["o.png", ".nii"]),
    "output-folder-missing": lambda t: (_up(t, str(t.img), out="no/such/o.png"), ["o.png", "does not exist"]),
    "output-under-a-file": lambda t: (_eval(t, "--out", str(t.img / "results")), ["slice.png"]),
    "out-folder-is-file": lambda t: (["report", "--data", str(t.data), "--split", "val", "--scales", "2",
                                      "--methods", "bicubic", "--out", str(t.img)], ["slice.png"]),
    "tune-out-is-folder": lambda t: (["tune", "elrtv", "--data", str(t.data), "--scale", "2",
                                      "--out", _folder(t, "p.yaml")], ["p.yaml", "folder"]),
    # --set values
    "train-set-bad-yaml": lambda t: (["train", "--config", str(t.config), "--runs", t("runs"), "--set", "optim.lr=["],
                                     ["--set", "optim.lr=[", "YAML"]),
    "train-set-no-value": lambda t: (["train", "--config", str(t.config), "--runs", t("runs"), "--set", "optim.lr"],
                                     ["--set", "optim.lr"]),
    "train-set-python-tag": lambda t: (["train", "--config", str(t.config), "--runs", t("runs"), "--set",
                                        "steps=!!python/object/apply:os.system [x]"], ["--set", "YAML"]),
    "tune-set-bad-yaml": lambda t: (["tune", "elrtv", "--data", str(t.data), "--scale", "2", "--set", "lam_tv=["],
                                    ["--set", "lam_tv=[", "YAML"]),
    "train-missing-config": lambda t: (["train", "--config", t("none.yaml")], ["none.yaml"]),
    # option values
    "chunk-negative": lambda t: (_up(t, str(t.img), "--chunk", "-5"), ["--chunk", "-5"]),
    "chunk-zero": lambda t: (_up(t, str(t.img), "--chunk", "0"), ["--chunk", "0"]),
    "chunk-text": lambda t: (_up(t, str(t.img), "--chunk", "lots"), ["--chunk", "lots"]),
    "limit-zero": lambda t: (_eval(t, "--limit", "0"), ["--limit"]),
    "shave-negative": lambda t: (_eval(t, "--shave", "-1"), ["--shave"]),
    "selfsup-steps-negative": lambda t: (["upscale", str(t.vol), "--isotropic", "-o", t("o.nii.gz"),
                                          "--selfsup-steps", "-1"], ["--selfsup-steps"]),
    "slice-thickness-negative": lambda t: (["upscale", str(t.vol), "--isotropic", "-o", t("o.nii.gz"),
                                            "--slice-thickness", "-1"], ["--slice-thickness"]),
    "resamples-zero": lambda t: (["report", "--data", str(t.data), "--split", "val", "--scales", "2",
                                  "--methods", "bicubic", "--out", t("rep"), "--resamples", "0"], ["--resamples"]),
    "trials-zero": lambda t: (["tune", "elrtv", "--data", str(t.data), "--scale", "2", "--trials", "0"], ["--trials"]),
    "max-steps-zero": lambda t: (["train", "--config", str(t.config), "--max-steps", "0"], ["--max-steps"]),
    "max-minutes-inf": lambda t: (["train", "--config", str(t.config), "--max-minutes", "inf"], ["--max-minutes"]),
    "max-minutes-negative": lambda t: (["train", "--config", str(t.config), "--max-minutes", "-1"], ["--max-minutes"]),
    "prepare-size-zero": lambda t: (["prepare", "--input", str(t.root), "--out", t("ds"), "--size", "0"], ["--size"]),
    "bad-choice": lambda t: (_up(t, str(t.img), "--bits", "12"), ["--bits", "12"]),
    "missing-required": lambda t: (["upscale", str(t.img), "--scale", "2"], ["--output"]),
    "unknown-option": lambda t: (_up(t, str(t.img), "--chunck", "4"), ["--chunck"]),
    "unknown-command": lambda t: (["upscael", str(t.img)], ["upscael"]),
}


def _snapshot(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "<dir>"
        for p in sorted(root.rglob("*"))
    }


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_bad_input_is_one_line(tree, tmp_path_factory, capsys, monkeypatch, case):
    monkeypatch.setenv("MRISR_CACHE", str(tmp_path_factory.mktemp("cache")))
    monkeypatch.delenv("MRISR_DEBUG", raising=False)
    argv, needles = CASES[case](tree)
    before = _snapshot(tree.root)
    capsys.readouterr()
    rc = main(argv)
    err = capsys.readouterr().err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert rc == 2, (rc, err)
    assert len(lines) == 1 and lines[0].startswith("mrisr") and ": error: " in lines[0], err
    assert "Traceback" not in err
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    assert _snapshot(tree.root) == before
    assert not (tree.root / MARKER).exists()


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anywhere")
def test_unwritable_output_folder(tree, capsys):
    locked = tree.root / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        rc = main(["upscale", str(tree.img), "--scale", "2", "-o", str(locked / "o.png"), "--method", "bicubic"])
    finally:
        locked.chmod(0o755)
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1 and "not writable" in err[0]
    assert list(locked.iterdir()) == []


def test_replaced_output_is_announced(tree, capsys):
    out = tree.root / "o.png"
    assert main(["upscale", str(tree.img), "--scale", "2", "-o", str(out), "--method", "bicubic"]) == 0
    assert "(replaced the existing file)" not in capsys.readouterr().out
    assert main(["upscale", str(tree.img), "--scale", "2", "-o", str(out), "--method", "nearest"]) == 0
    assert "(replaced the existing file)" in capsys.readouterr().out


def test_varying_alpha_warns_once(tree, capsys):
    from PIL import Image

    g = np.full((8, 8), 128, np.uint8)
    alpha = np.full((8, 8), 255, np.uint8)
    alpha[:4] = 0
    Image.fromarray(np.dstack([g, g, g, alpha])).save(tree.root / "rgba.png")
    rc = main(["upscale", str(tree.root / "rgba.png"), "--scale", "2", "-o", str(tree.root / "o.png"),
               "--method", "bicubic"])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 0 and len(err) == 1 and "rgba.png" in err[0] and "alpha" in err[0]


def test_second_run_into_a_locked_out_is_refused(tree, capsys):
    from mrisr._outputs import output_folder

    out = tree.root / "results"
    with output_folder(out):  # another run holds the folder
        before = _snapshot(tree.root)
        rc = main(_eval(tree))
        err = capsys.readouterr().err.strip().splitlines()
        assert rc == 2 and len(err) == 1 and "results" in err[0] and "another mrisr run" in err[0], err
        assert _snapshot(tree.root) == before
    assert list(out.iterdir()) == []  # the holder's lock file is gone with its lock


def test_folders_made_for_a_failed_run_are_removed(tree, capsys):
    write_image(_val(tree), np.zeros((16, 16)))
    before = _snapshot(tree.root)
    rc = main(_eval(tree, "--out", tree("new/deeper/results")))
    assert rc == 2 and "all zeros" in capsys.readouterr().err
    assert _snapshot(tree.root) == before and not (tree.root / "new").exists()
