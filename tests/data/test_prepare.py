"""``mrisr prepare``: NIfTI volumes -> study-layout HR/LR slice pairs."""

from __future__ import annotations

import json

import nibabel as nib
import numpy as np
import pytest

from mrisr.cli.main import main
from mrisr.data.datasets import find_pairs
from mrisr.data.degrade import degrade
from mrisr.data.io import read_image
from mrisr.data.prepare import (
    assign_split,
    parse_fractions,
    parse_scales,
    prepare_dataset,
    prepare_slice,
    subject_id,
)
from mrisr.errors import InputError

SUBJECTS = ["IXI002-Guys-0828-T2", "IXI012-HH-1211-T2", "IXI013-HH-1212-T2",
            "IXI014-HH-1236-T2", "IXI015-HH-1258-T2", "IXI016-Guys-0697-T2"]


def _volume(shape=(20, 24, 10), seed=0):
    """A bright ellipsoid with noise on a zero background (float32)."""
    rng = np.random.default_rng(seed)
    g = np.meshgrid(*[np.linspace(-1, 1, n) for n in shape], indexing="ij")
    inside = (g[0] / 0.8) ** 2 + (g[1] / 0.7) ** 2 + (g[2] / 0.9) ** 2 < 1
    return (inside * (500 + 100 * g[0] + rng.normal(0, 20, shape))).astype(np.float32)


def _write(folder, name, data, zooms=(1.0, 1.0, 1.0)):
    path = folder / f"{name}.nii.gz"
    nib.save(nib.Nifti1Image(data, np.diag([*zooms, 1.0])), path)
    return path


@pytest.fixture
def volumes(tmp_path):
    folder = tmp_path / "nifti"
    folder.mkdir()
    for i, name in enumerate(SUBJECTS):
        _write(folder, name, _volume(seed=i))
    (folder / "README.txt").write_text("not a volume")  # ignored
    return folder


def _run(volumes, root, **kw):
    opts = {"size": 32, "scales": (2, 4), "split": (0.5, 0.25, 0.25), "progress": False} | kw
    return prepare_dataset(volumes, root, **opts)


def test_study_layout_and_pairs(volumes, tmp_path):
    root = tmp_path / "out"
    res = _run(volumes, root)
    assert sum(res.counts.values()) == 6
    for split, n in res.counts.items():
        if not n:
            assert not (root / split).exists()
            continue
        pairs = find_pairs(root, split, 2)  # the evaluation code accepts the layout
        assert len(pairs) == n == len(find_pairs(root, split, 4))
        hr = read_image(pairs[0].hr_path)
        assert hr.shape == (32, 32) and hr.max() == 1.0
        assert read_image(root / f"{split} x2" / pairs[0].name).shape == (16, 16)
        assert read_image(root / f"{split} x4" / pairs[0].name).shape == (8, 8)
    manifest = json.loads((root / "prepare.json").read_text())
    assert {f["file"] for f in manifest["files"]} == {f"{s}.nii.gz" for s in SUBJECTS}
    assert manifest["settings"]["degradation"] == "bicubic"
    assert not [p for p in root.iterdir() if p.name.startswith(".")]  # staging removed


@pytest.mark.parametrize("kind", ["bicubic", "gaussian", "kspace"])
def test_lr_is_the_chosen_degradation_of_the_stored_hr(volumes, tmp_path, kind):
    root = tmp_path / kind
    res = _run(volumes, root, degradation=kind, scales=(2,))
    split = next(s for s, n in res.counts.items() if n)
    name = sorted(p.name for p in (root / split).iterdir())[0]
    hr = read_image(root / split / name)
    lr = read_image(root / f"{split} x2" / name)
    assert np.abs(lr - degrade(hr, 2, kind=kind)).max() <= 0.5 / 255 + 1e-6
    others = [k for k in ("bicubic", "gaussian", "kspace") if k != kind]
    assert all(np.abs(lr - degrade(hr, 2, kind=k)).max() > 1.5 / 255 for k in others)


def test_random_steps_are_seeded_per_image_and_reproducible(volumes, tmp_path):
    spec = "bicubic+noise:0.05"
    runs = [_run(volumes, tmp_path / f"r{k}", degradation=spec, scales=(2,)) for k in range(2)]
    split = next(s for s, n in runs[0].counts.items() if n >= 2)
    names = sorted(p.name for p in (tmp_path / "r0" / split).iterdir())[:2]
    noise = []
    for name in names:
        a, b = (read_image(tmp_path / f"r{k}" / f"{split} x2" / name) for k in range(2))
        np.testing.assert_array_equal(a, b)  # the same command, the same dataset
        hr = read_image(tmp_path / "r0" / split / name)
        noise.append(a - degrade(hr, 2, kind="bicubic"))
    assert np.abs(noise[0]).mean() > 0.02  # noise is there ...
    assert np.abs(noise[0] - noise[1]).mean() > 0.02  # ... and not the same field in every image


def _box(img):
    rows, cols = np.flatnonzero(img.any(axis=1)), np.flatnonzero(img.any(axis=0))
    return rows[0], rows[-1] + 1, cols[0], cols[-1] + 1


def test_mid_slice_aspect_kept_and_padded_with_zeros():
    full = np.ones((20, 24, 10), np.float32)  # content fills the field of view
    # the (20, 24) slice is shown rotated: 24 rows x 20 columns -> 48 x 40, centred in 48 x 48
    hr = prepare_slice(full, axis=2, size=48)
    assert hr.shape == (48, 48) and _box(hr) == (0, 48, 4, 44)
    assert np.allclose(hr[:, 4:44], 1.0)
    # 2 mm voxels along axis 0 (the columns): 24 x 40 mm -> 29 x 48 pixels
    tall = prepare_slice(full, axis=2, size=48, zooms=(2.0, 1.0, 1.0))
    assert _box(tall) == (9, 38, 0, 48)
    # robust normalisation: percentile clip then [0, 1]
    hr = prepare_slice(_volume(), axis=2, size=48)
    assert hr.min() == 0.0 and hr.max() == pytest.approx(1.0, abs=1e-6)


def test_middle_slice_follows_the_axis():
    for axis, n in ((0, 12), (1, 14), (2, 16)):
        vol = np.zeros((12, 14, 16), np.float32)
        index = [slice(None)] * 3
        index[axis] = n // 2
        vol[tuple(index)] = 1.0
        assert prepare_slice(vol, axis=axis, size=16).mean() > 0.7  # filled except the padding
        index[axis] = n // 2 - 1
        other = np.zeros_like(vol)
        other[tuple(index)] = 1.0
        assert not prepare_slice(other, axis=axis, size=16).any()


def test_reorientation_makes_storage_order_irrelevant(tmp_path):
    vol = _volume((20, 24, 10))
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    _write(a, "IXI100-HH-1-T2", vol)
    # same anatomy stored as (z, y, x) with x flipped: the affine says so
    stored = np.ascontiguousarray(vol.transpose(2, 1, 0)[:, :, ::-1])
    aff = np.array([[0, 0, -1, 19], [0, 1, 0, 0], [1, 0, 0, 0], [0, 0, 0, 1]], float)
    nib.save(nib.Nifti1Image(stored, aff), b / "IXI100-HH-1-T2.nii.gz")
    for folder, root in ((a, tmp_path / "ra"), (b, tmp_path / "rb")):
        prepare_dataset(folder, root, size=32, scales=(2,), split=(1, 0, 0), progress=False)
    ha, hb = read_image(tmp_path / "ra/train/IXI100-HH-1-T2.png"), read_image(tmp_path / "rb/train/IXI100-HH-1-T2.png")
    np.testing.assert_array_equal(ha, hb)


def test_split_by_subject_is_stable_when_subjects_are_added(volumes, tmp_path):
    first = _run(volumes, tmp_path / "r1")
    for i in range(4):
        _write(volumes, f"IXI{200 + i}-IOP-0001-T2", _volume(seed=10 + i))
    _write(volumes, "IXI012-HH-1211-PD", _volume(seed=99))  # a second volume of a known subject
    second = _run(volumes, tmp_path / "r2")
    m1 = {f["file"]: f["split"] for f in json.loads((tmp_path / "r1/prepare.json").read_text())["files"]}
    m2 = {f["file"]: f["split"] for f in json.loads((tmp_path / "r2/prepare.json").read_text())["files"]}
    assert all(m2[k] == v for k, v in m1.items())
    assert m2["IXI012-HH-1211-PD.nii.gz"] == m2["IXI012-HH-1211-T2.nii.gz"]
    assert sum(second.counts.values()) == sum(first.counts.values()) + 5


def test_split_fractions_hold_in_expectation_and_seed_matters():
    ids = [f"IXI{i:03d}" for i in range(3000)]
    got = [assign_split(s, (0.8, 0.1, 0.1), seed=0) for s in ids]
    frac = {k: got.count(k) / len(ids) for k in ("train", "val", "test")}
    assert abs(frac["train"] - 0.8) < 0.03 and abs(frac["val"] - 0.1) < 0.02 and abs(frac["test"] - 0.1) < 0.02
    assert got == [assign_split(s, (0.8, 0.1, 0.1), seed=0) for s in ids]
    other = [assign_split(s, (0.8, 0.1, 0.1), seed=1) for s in ids]
    assert sum(a != b for a, b in zip(got, other, strict=True)) > 300
    assert {assign_split(s, (1, 0, 0)) for s in ids[:50]} == {"train"}


def test_subject_ids():
    assert subject_id("IXI013-HH-1212-T2.nii.gz") == "IXI013"
    assert subject_id("/x/IXI002-Guys-0828-PD.nii") == "IXI002"
    assert subject_id("sub-01_T2w.nii.gz") == "sub-01_T2w"


def test_bad_volume_stops_by_default_and_writes_nothing(volumes, tmp_path):
    _write(volumes, "IXI099-HH-0000-T2", np.ones((6, 7, 5, 3), np.float32))
    root = tmp_path / "out"
    with pytest.raises(InputError, match=r"IXI099-HH-0000-T2\.nii\.gz: expected a 3-D volume"):
        _run(volumes, root)
    assert not root.exists()


def test_skip_bad_skips_and_records(volumes, tmp_path):
    nan = _volume(seed=5)
    nan[1, 1, 1] = np.nan
    _write(volumes, "IXI098-HH-0000-T2", nan)
    _write(volumes, "IXI097-HH-0000-T2", np.zeros((20, 24, 10), np.float32))  # blank
    res = _run(volumes, tmp_path / "out", skip_bad=True)
    assert sum(res.counts.values()) == 6
    errors = sorted(s["error"] for s in res.skipped)
    assert "IXI097" in errors[0] and "blank" in errors[0]
    assert "IXI098" in errors[1] and "NaN/Inf" in errors[1]
    manifest = json.loads((tmp_path / "out/prepare.json").read_text())
    assert len(manifest["skipped"]) == 2


def test_existing_output_is_never_overwritten(volumes, tmp_path):
    root = tmp_path / "out"
    (root / "train").mkdir(parents=True)
    (root / "train" / "keep.png").write_bytes(b"mine")
    with pytest.raises(InputError, match="already holds 'train'"):
        _run(volumes, root)
    assert sorted(p.name for p in root.rglob("*")) == ["keep.png", "train"]


def test_failure_while_writing_leaves_no_partial_dataset(volumes, tmp_path, monkeypatch):
    import mrisr.data.prepare as prep

    calls = {"n": 0}
    real = prep.write_image

    def flaky(*a, **k):
        calls["n"] += 1
        if calls["n"] == 5:
            raise OSError("disk full")
        return real(*a, **k)

    monkeypatch.setattr(prep, "write_image", flaky)
    root = tmp_path / "out"
    with pytest.raises(OSError, match="disk full"):
        _run(volumes, root)
    assert not root.exists()


@pytest.mark.parametrize(
    "kw,match",
    [
        ({"split": "0.5,0.5"}, "three"),
        ({"split": (0.9, 0.2, 0.1)}, "summing to 1"),
        ({"scales": "1"}, "scale"),
        ({"scales": "2,40"}, "scale"),
        ({"degradation": "kspce"}, "kspace"),
        ({"axis": 3}, "axis"),
        ({"size": 4}, "size"),
    ],
)
def test_bad_options(volumes, tmp_path, kw, match):
    with pytest.raises(ValueError, match=match):
        _run(volumes, tmp_path / "out", **kw)
    assert not (tmp_path / "out").exists()


def test_parsers():
    assert parse_fractions("0.8,0.1,0.1") == (0.8, 0.1, 0.1)
    assert parse_scales("4,2,2") == (2.0, 4.0)


def test_cli(volumes, tmp_path, capsys):
    root = tmp_path / "cli"
    rc = main(["prepare", "--input", str(volumes), "--out", str(root), "--size", "32",
               "--scales", "2", "--split", "1,0,0", "--degradation", "gaussian", "--no-progress"])
    assert rc == 0
    assert "wrote 6 slices" in capsys.readouterr().out
    assert len(list((root / "train x2").iterdir())) == 6
    _write(volumes, "IXI099-HH-0000-T2", np.ones((6, 7), np.float32))
    rc = main(["prepare", "--input", str(volumes), "--out", str(tmp_path / "cli2"), "--no-progress"])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and len(err.splitlines()) == 1 and "IXI099-HH-0000-T2.nii.gz" in err
    assert not (tmp_path / "cli2").exists()
