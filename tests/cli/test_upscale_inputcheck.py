"""``mrisr upscale``: the input check (one warning line; ``--strict``: exit 2, nothing written)."""

from __future__ import annotations

import nibabel as nib
import numpy as np

from mrisr.cli.main import main
from mrisr.data import degrade
from mrisr.data.io import read_image, write_image
from tests.conftest import textured_phantom


def _png(path, spec, seed=0):
    write_image(path, degrade(textured_phantom(192, seed=seed), 2, kind=spec, seed=seed), bits=8)
    return path


def test_kspace_input_warns_once_and_output_is_unchanged(tmp_path, capsys):
    src = _png(tmp_path / "slice_x2.png", "kspace+quant:8")
    out = tmp_path / "sr.png"
    assert main(["upscale", str(src), "--scale", "2", "--method", "liif-x2", "--device", "cpu", "-o", str(out)]) == 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("mrisr: warning: slice_x2.png looks k-space truncated")
    assert err[0].endswith("try --method liif-blind")
    from mrisr.methods import make_method

    ref = make_method("liif-x2", scale=2, params={"device": "cpu"})(read_image(src), (192, 192))
    assert np.abs(read_image(out) - ref).max() <= 1 / 65535 + 1e-6  # same pixels as the method run by hand


def test_strict_stops_with_one_line_and_writes_nothing(tmp_path, capsys):
    src = _png(tmp_path / "slice_x2.png", "kspace+quant:8")
    out = tmp_path / "sr.png"
    assert main(["upscale", str(src), "--scale", "2", "--method", "liif-x2", "--strict", "-o", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("mrisr: error: slice_x2.png looks k-space truncated")
    assert err[0].endswith("(--strict)")
    assert list(tmp_path.iterdir()) == [src]


def test_training_pipeline_input_is_quiet_even_with_strict(tmp_path, capsys):
    src = _png(tmp_path / "ixi.png", "gaussian+quant:8,floor")
    assert main(["upscale", str(src), "--scale", "2", "--method", "elrtv", "--strict", "-o",
                 str(tmp_path / "sr.png")]) == 0
    assert capsys.readouterr().err == ""
    assert main(["upscale", str(_png(tmp_path / "k.png", "kspace+quant:8")), "--scale", "2", "--method", "zerofill",
                 "--strict", "-o", str(tmp_path / "zf.png")]) == 0  # interpolation: nothing to check


def test_volume_is_checked_on_its_middle_slices(tmp_path, capsys):
    planes = [degrade(textured_phantom(192, seed=k), 2, kind="kspace+quant:8") for k in range(5)]
    data = (np.stack(planes, -1) * 1000).astype(np.int16)
    src = tmp_path / "t2.nii.gz"
    nib.save(nib.Nifti1Image(data, np.eye(4)), src)
    out = tmp_path / "sr.nii.gz"
    assert main(["upscale", str(src), "--scale", "2", "--method", "liif-x2", "--strict", "-o", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "t2.nii.gz looks k-space truncated" in err[0] and not out.exists()
    # --scale 1 copies the volume (no method runs): nothing to check
    assert main(["upscale", str(src), "--scale", "1", "--method", "liif-x2", "--strict", "--no-progress",
                 "-o", str(out)]) == 0
    assert capsys.readouterr().err == "" and out.exists()


def test_strict_is_refused_for_a_folder_input(tmp_path, capsys):
    (tmp_path / "in").mkdir()
    _png(tmp_path / "in" / "a.png", "kspace+quant:8")
    out = tmp_path / "out"
    assert main(["upscale", str(tmp_path / "in"), "--scale", "2", "--strict", "-o", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--strict applies to a single image or volume" in err[0] and not out.exists()
