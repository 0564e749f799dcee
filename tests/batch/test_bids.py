"""``mrisr bids``: a derivatives dataset from a small BIDS tree, read back with pybids."""

from __future__ import annotations

import json

import nibabel as nib
import numpy as np
import pytest

from mrisr.batch.bids import derivative_name
from mrisr.cli.main import main
from tests.batch.conftest import volume

bids = pytest.importorskip("bids")


def make_bids(root):
    """sub-01 (thick 3 mm slices), sub-02 ses-1 (isotropic T1w and a thick T2w), sub-03."""
    root.mkdir(parents=True)
    (root / "dataset_description.json").write_text(json.dumps({"Name": "tiny", "BIDSVersion": "1.9.0"}))
    (root / "participants.tsv").write_text("participant_id\nsub-01\nsub-02\nsub-03\n")
    volume(root / "sub-01" / "anat" / "sub-01_T2w.nii.gz", zooms=(1.0, 1.0, 3.0), shape=(12, 12, 4))
    volume(root / "sub-02" / "ses-1" / "anat" / "sub-02_ses-1_acq-iso_T1w.nii.gz", zooms=(1.0, 1.0, 1.0),
           shape=(12, 12, 6))
    volume(root / "sub-02" / "ses-1" / "anat" / "sub-02_ses-1_run-1_T2w.nii.gz", zooms=(3.0, 1.0, 1.0),
           shape=(4, 12, 12))
    volume(root / "sub-03" / "anat" / "sub-03_T2w.nii.gz", shape=(12, 12, 4))
    return root


def test_derivative_name_keeps_entities_in_order():
    assert derivative_name("sub-01_ses-1_acq-ax_run-2_T2w.nii.gz", "iso") == \
        "sub-01_ses-1_acq-ax_run-2_res-iso_desc-mrisr_T2w.nii.gz"
    assert derivative_name("sub-01_space-MNI_desc-old_T1w.nii", "x2") == "sub-01_space-MNI_res-x2_desc-mrisr_T1w.nii"


def test_bids_app_writes_a_derivatives_dataset(tmp_path, capsys):
    raw = make_bids(tmp_path / "raw")
    out = tmp_path / "raw" / "derivatives" / "mrisr"
    code = main(["bids", str(raw), str(out), "participant", "--participant_label", "01", "sub-02",
                 "--method", "bicubic", "--threads", "1", "--no-progress"])
    assert code == 0, capsys.readouterr().err
    assert "3 done, 0 skipped, 0 failed" in capsys.readouterr().out
    desc = json.loads((out / "dataset_description.json").read_text())
    assert desc["DatasetType"] == "derivative" and desc["GeneratedBy"][0]["Name"] == "mrisr"
    assert desc["SourceDatasets"][0]["URL"].startswith("file://")

    thick = out / "sub-01" / "anat" / "sub-01_res-iso_desc-mrisr_T2w.nii.gz"
    assert nib.load(thick).shape == (12, 12, 12)  # 3 mm slices -> 1 mm: through-plane
    assert np.allclose(nib.load(thick).header.get_zooms(), 1.0)
    sagittal = out / "sub-02" / "ses-1" / "anat" / "sub-02_ses-1_run-1_res-iso_desc-mrisr_T2w.nii.gz"
    assert nib.load(sagittal).shape == (12, 12, 12)  # the thick axis read from the header, not assumed
    iso = out / "sub-02" / "ses-1" / "anat" / "sub-02_ses-1_acq-iso_res-x2_desc-mrisr_T1w.nii.gz"
    assert nib.load(iso).shape == (24, 24, 6)  # not thick: in-plane 2x
    side = json.loads(iso.with_name(iso.name.replace(".nii.gz", ".json")).read_text())
    assert side["Sources"] == ["bids:raw:sub-02/ses-1/anat/sub-02_ses-1_acq-iso_T1w.nii.gz"]
    assert (side["Method"], side["Factor"], side["Direction"]) == ("bicubic", 2.0, "in-plane")
    assert side["Version"] and "x2" in side["Resolution"]
    assert not (out / "sub-03").exists()

    layout = bids.BIDSLayout(str(raw), derivatives=str(out), validate=False)  # read back with pybids
    got = layout.get(desc="mrisr", extension=".nii.gz", return_type="filename", scope="derivatives")
    assert len(got) == 3
    ents = layout.get_file(str(iso)).get_entities()
    assert (ents["subject"], ents["session"], ents["acquisition"], ents["desc"], ents["suffix"]) == \
        ("02", "1", "iso", "mrisr", "T1w")
    assert layout.get_metadata(str(iso))["Method"] == "bicubic"


def test_relative_paths_and_rerun(tmp_path, monkeypatch, capsys):
    make_bids(tmp_path / "raw")
    monkeypatch.chdir(tmp_path)
    args = ["bids", "raw", "raw/derivatives/mrisr", "participant", "--participant-label", "sub-01", "--method",
            "bicubic", "--no-progress"]
    assert main(args) == 0
    assert (tmp_path / "raw/derivatives/mrisr/sub-01/anat/sub-01_res-iso_desc-mrisr_T2w.nii.gz").is_file()
    assert main(args) == 0
    assert "0 done, 1 skipped, 0 failed" in capsys.readouterr().out


def test_unknown_participant_is_one_line(tmp_path, capsys):
    raw = make_bids(tmp_path / "raw")
    code = main(["bids", str(raw), str(tmp_path / "out"), "participant", "--participant-label", "07"])
    err = capsys.readouterr().err
    assert code == 2 and "no participant 07 in the dataset (has: 01, 02, 03)" in err


def test_not_a_bids_dataset(tmp_path, capsys):
    (tmp_path / "raw").mkdir()
    assert main(["bids", str(tmp_path / "raw"), str(tmp_path / "out"), "participant"]) == 2
    assert "not a BIDS dataset" in capsys.readouterr().err


def test_names_follow_the_bids_schema(tmp_path):
    """The bids-validator package (1.14) and bidsschematools' regex validator know raw-dataset names only (they
    reject fMRIPrep's ``sub-01_desc-preproc_T1w.nii.gz`` too), so names are checked against the BIDS schema itself:
    known entities, in the schema's order, alphanumeric labels, a raw anat suffix and extension."""
    schema = pytest.importorskip("bidsschematools.schema").load_schema()
    order = [schema.objects.entities[e].name for e in schema.rules.entities]
    anat = schema.rules.files.raw.anat.nonparametric
    raw = make_bids(tmp_path / "raw")
    out = tmp_path / "deriv"
    assert main(["bids", str(raw), str(out), "participant", "--method", "bicubic", "--no-progress"]) == 0
    names = [p.name for p in out.rglob("sub-*_*") if p.is_file()]
    assert len(names) == 8  # 4 images, 4 sidecars
    for name in names:
        stem, ext = name.split(".", 1)
        *pairs, suffix = stem.split("_")
        keys = [kv.split("-", 1)[0] for kv in pairs]
        assert all(k in order for k in keys) and keys == sorted(keys, key=order.index), name
        assert all(kv.split("-", 1)[1].isalnum() for kv in pairs), name
        assert suffix in anat.suffixes and f".{ext}" in anat.extensions, name
        assert keys[-2:] == ["res", "desc"]


def test_bids_app_reuses_one_fitted_model_for_the_thick_images(tmp_path, capsys):
    from mrisr.volume import upscale_through_plane

    raw = make_bids(tmp_path / "raw")
    src = raw / "sub-01" / "anat" / "sub-01_T2w.nii.gz"
    model = tmp_path / "protocol.safetensors"
    fast = {"steps": 2, "crops": 2, "patch": 8, "queries": 64, "min_foreground": 0.0, "holdout": 0}
    upscale_through_plane(nib.load(src), params=fast, progress=False, save_model=model)
    out = tmp_path / "deriv"
    code = main(["bids", str(raw), str(out), "participant", "--participant_label", "01", "--reuse-model", str(model),
                 "--threads", "1", "--no-progress"])
    assert code == 0, capsys.readouterr().err
    got = nib.load(out / "sub-01" / "anat" / "sub-01_res-iso_desc-mrisr_T2w.nii.gz").get_fdata()
    want = upscale_through_plane(nib.load(src), params={"base": f"liif:{model}", "steps": 0}, progress=False)
    np.testing.assert_allclose(got, want.get_fdata(), atol=1e-3 * np.abs(got).max())
    capsys.readouterr()
    for extra, message in ((["--reuse-model", str(tmp_path / "none.safetensors")], "no such file (--reuse-model)"),
                           (["--reuse-model", str(model), "--method", "elrtv"], "--reuse-model applies to")):
        assert main(["bids", str(raw), str(tmp_path / "d2"), "participant", *extra]) == 2
        err = capsys.readouterr().err
        assert message in err and err.count("\n") == 1
