"""mrisr._outputs: output files and folders checked before any work, and the output-folder lock."""

from __future__ import annotations

import nibabel as nib
import numpy as np
import pytest

from mrisr._outputs import LOCK_NAME, check_output_file, output_folder
from mrisr.errors import InputError


def test_check_output_file(tmp_path):
    src = tmp_path / "in.png"
    src.write_bytes(b"x")
    assert check_output_file(tmp_path / "new.png", suffixes=(".png",)) is False
    assert check_output_file(src, suffixes=(".png",)) is True  # exists: will be replaced
    (tmp_path / "d.png").mkdir()
    for path, inputs, match in [
        (tmp_path / "d.png", [], "is a folder"),
        (src, [src], "output is the input file"),
        (tmp_path / "o.jpg", [], "must end in .png or .tif"),
        (tmp_path / "no" / "o.png", [], "does not exist"),
    ]:
        with pytest.raises(InputError, match=match):
            check_output_file(path, suffixes=(".png", ".tif"), inputs=inputs)


def test_volume_api_refuses_its_input_as_output_before_reading(tmp_path):
    from mrisr.volume import upscale_volume_file

    vol = tmp_path / "t2.nii.gz"
    nib.save(nib.Nifti1Image(np.ones((4, 4, 2), np.float32), np.eye(4)), str(vol))
    before = vol.read_bytes()
    with pytest.raises(InputError, match="output is the input file"):
        upscale_volume_file(vol, vol, scale=2, method="bicubic", progress=False)
    assert vol.read_bytes() == before


def test_output_folder_locks_and_cleans_up(tmp_path):
    out = tmp_path / "a" / "b"
    with output_folder(out):
        assert (out / LOCK_NAME).exists()
        with pytest.raises(InputError, match="another mrisr run"), output_folder(out):
            pass
        assert out.is_dir()  # the refused second run removed nothing of the first's
    assert list(out.iterdir()) == []
    with pytest.raises(RuntimeError), output_folder(tmp_path / "c" / "d"):
        raise RuntimeError("the run failed")
    assert not (tmp_path / "c").exists()
    (tmp_path / "kept").mkdir()
    with pytest.raises(RuntimeError), output_folder(tmp_path / "kept"):
        raise RuntimeError("the run failed")
    assert (tmp_path / "kept").is_dir()  # a folder that existed before is never removed
