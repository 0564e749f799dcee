"""Running a batch: outputs mirror the input tree, the manifest records everything, reruns resume."""

from __future__ import annotations

import json

import nibabel as nib
import numpy as np

from mrisr.batch import MANIFEST_NAME, Job, Manifest, find_inputs, plan, run_batch
from mrisr.batch.manifest import FIELDS
from mrisr.data.io import read_image, write_image
from tests.conftest import phantom

JOB = Job("bicubic", {"intensity": "off"}, scale=2)


def _run(tree, out, job=JOB, **kw):
    return run_batch(plan(find_inputs(tree), out, job, **kw.pop("plan", {})), out, progress=False, **kw)


def _lines(out):
    return [json.loads(x) for x in (out / MANIFEST_NAME).read_text().splitlines()]


def test_mixed_folder_mirrors_tree_and_reports_bad_files(tree, tmp_path):
    out = tmp_path / "out"
    s = _run(tree, out)
    assert (s.done, s.skipped, s.failed) == (4, 0, 2)
    assert sorted(k for k, _ in s.failures) == ["a/corrupt.png", "a/empty.png"]
    assert "empty" in dict(s.failures)["a/empty.png"]
    assert read_image(out / "a" / "slice 0.png").shape == (32, 32)
    assert read_image(out / "b" / "deep" / "slice 1.png").shape == (32, 32)
    assert nib.load(out / "b" / "vol 1.nii.gz").shape == (24, 24, 3)
    lines = _lines(out)
    assert len(lines) == 6 and all(list(rec) == list(FIELDS) for rec in lines)
    done = next(r for r in lines if r["input"] == "a/slice 0.png")
    assert done["status"] == "done" and done["method"] == "bicubic" and done["params"]["scale"] == 2
    assert len(done["sha256"]) == 64 and done["seconds"] >= 0 and done["error"] is None
    assert s.line().startswith("4 done, 0 skipped, 2 failed in ")


def test_rerun_skips_done_and_redoes_changed_and_failed(tree, tmp_path):
    out = tmp_path / "out"
    _run(tree, out)
    before = (out / "a" / "slice 2.png").stat().st_mtime_ns
    again = _run(tree, out)
    assert (again.done, again.skipped, again.failed) == (0, 4, 2)  # the bad files are tried again
    assert (out / "a" / "slice 2.png").stat().st_mtime_ns == before
    write_image(tree / "a" / "slice 0.png", phantom(16, seed=9), bits=16)  # changed input
    write_image(tree / "a" / "empty.png", phantom(16, seed=3), bits=16)  # fixed input
    (out / "b" / "deep" / "slice 1.png").unlink()  # lost output
    third = _run(tree, out)
    assert (third.done, third.skipped, third.failed) == (3, 2, 1)
    other = _run(tree, out, Job("bicubic", {"intensity": "off"}, scale=3))  # other parameters: all redone
    assert (other.done, other.skipped) == (5, 0)
    assert read_image(out / "a" / "slice 0.png").shape == (48, 48)


def test_runtime_options_do_not_count_as_changes(tree, tmp_path):
    out = tmp_path / "out"
    _run(tree, out)
    job = Job("bicubic", {"intensity": "off", "device": "cpu", "chunk": 64}, scale=2, threads=1)
    assert _run(tree, out, job).skipped == 4


def test_fail_fast_stops_at_the_first_failure(tree, tmp_path):
    s = _run(tree, tmp_path / "out", fail_fast=True)
    assert (s.done, s.failed) == (0, 1)  # a/corrupt.png comes first


def test_suffix(tree, tmp_path):
    _run(tree, tmp_path / "out", plan={"suffix": "_sr"})
    assert (tmp_path / "out" / "a" / "slice 0_sr.png").is_file()
    assert (tmp_path / "out" / "b" / "vol 1_sr.nii.gz").is_file()


def test_manifest_survives_a_line_cut_short(tree, tmp_path):
    out = tmp_path / "out"
    _run(tree, out)
    path = out / MANIFEST_NAME
    text = path.read_text()
    path.write_text(text[: len(text) - 40])  # killed mid-write: the last line is cut
    again = _run(tree, out)
    assert again.done == 1 and again.skipped == 3  # the item of the cut line is redone
    lines = path.read_text().splitlines()
    assert json.loads(lines[-1])["status"] in ("done", "failed")
    assert len(Manifest(path).last) == 6


def test_stale_temporaries_are_removed_and_nothing_partial_is_left(tree, tmp_path):
    out = tmp_path / "out"
    (out / "a").mkdir(parents=True)
    stale = out / "a" / ".slice 0.png.abc123.tmp.png"
    stale.write_bytes(b"half")
    _run(tree, out)
    assert not stale.exists()
    assert not list(out.rglob(".*tmp*"))
    assert not (out / "a" / "corrupt.png").exists() and not (out / "a" / "empty.png").exists()


def test_threads_cap_gives_the_same_output(tree, tmp_path):
    _run(tree, tmp_path / "o1")
    _run(tree, tmp_path / "o2", Job("bicubic", {"intensity": "off"}, scale=2, threads=1))
    a = nib.load(tmp_path / "o1" / "b" / "vol 1.nii.gz").get_fdata()
    b = nib.load(tmp_path / "o2" / "b" / "vol 1.nii.gz").get_fdata()
    assert np.array_equal(a, b)


def test_a_replaced_weight_file_counts_as_a_change(tmp_path):
    weights = tmp_path / "m.safetensors"
    weights.write_bytes(b"one")
    job = Job("liif-selfsup", {"base": f"liif:{weights}", "steps": 0}, isotropic=True)
    first = job.record()
    assert first["weights"] == {str(weights): __import__("hashlib").sha256(b"one").hexdigest()}
    assert job.record() == first  # the same file: the same record
    weights.write_bytes(b"two, longer")  # replaced under the same name
    assert job.record()["weights"] != first["weights"]
    assert "weights" not in JOB.record()  # a job that names no weight file records none
