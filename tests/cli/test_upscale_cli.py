"""``mrisr upscale`` on volumes: geometry and sizes through the command line."""

from __future__ import annotations

import nibabel as nib
import numpy as np

from mrisr.cli.main import main


def _volume(path):
    rng = np.random.default_rng(0)
    data = (rng.random((12, 10, 4)) * 1000).astype(np.int16)
    affine = np.diag([1.5, 2.0, 3.0, 1.0])
    affine[:3, 3] = [-10, 20, 5]
    nib.save(nib.Nifti1Image(data, affine), path)
    return nib.load(path)


def _fov_centre(img):
    n = np.array(img.shape[:3], dtype=float)
    return nib.affines.apply_affine(img.affine, (n - 1) / 2)


def test_volume_scale_and_size(tmp_path):
    src = _volume(tmp_path / "t2.nii.gz")
    out = tmp_path / "sr.nii.gz"
    assert main(["upscale", str(tmp_path / "t2.nii.gz"), "--scale", "2", "--method", "bicubic", "-o", str(out)]) == 0
    img = nib.load(out)
    assert img.shape == (24, 20, 4) and img.get_data_dtype() == np.int16
    assert np.allclose(_fov_centre(img), _fov_centre(src), atol=1e-4)
    assert np.allclose(nib.affines.voxel_sizes(img.affine), [0.75, 1.0, 3.0])
    out2 = tmp_path / "sized.nii.gz"
    assert main(["upscale", str(tmp_path / "t2.nii.gz"), "--size", "30x25", "--method", "bicubic",
                 "-o", str(out2)]) == 0
    assert nib.load(out2).shape == (30, 25, 4)


def test_volume_bad_scale_is_one_line(tmp_path, capsys):
    _volume(tmp_path / "t2.nii.gz")
    out = tmp_path / "sr.nii.gz"
    assert main(["upscale", str(tmp_path / "t2.nii.gz"), "--scale", "20", "-o", str(out)]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1
    assert not out.exists()


def test_intensity_flag_reaches_the_method(tmp_path):
    from mrisr.data.io import read_image, write_image
    from tests.conftest import phantom

    src = tmp_path / "dim.png"
    write_image(src, phantom(24) * 0.25, bits=16)  # far darker than the training images
    outs = {}
    for mode in ("auto", "off"):
        outs[mode] = tmp_path / f"{mode}.png"
        assert main(["upscale", str(src), "--scale", "2", "--method", "elrtv", "--intensity", mode,
                     "-o", str(outs[mode])]) == 0
    auto, off = read_image(outs["auto"]), read_image(outs["off"])
    assert auto.shape == off.shape == (48, 48)
    assert np.abs(auto - off).max() > 1e-3  # auto brought the image to the training level and back


def test_isotropic_adds_slices_along_the_thickest_axis(tmp_path):
    src = _volume(tmp_path / "t2.nii.gz")  # 1.5 x 2.0 x 3.0 mm
    out = tmp_path / "iso.nii.gz"
    assert main(["upscale", str(tmp_path / "t2.nii.gz"), "--isotropic", "--method", "bicubic", "-o", str(out)]) == 0
    img = nib.load(out)
    assert img.shape == (12, 10, 8) and img.get_data_dtype() == np.int16
    assert np.allclose(nib.affines.voxel_sizes(img.affine), [1.5, 2.0, 1.5])
    assert np.allclose(_fov_centre(img), _fov_centre(src), atol=1e-4)
    out2 = tmp_path / "tp.nii.gz"
    assert main(["upscale", str(tmp_path / "t2.nii.gz"), "--through-plane", "3", "--axis", "2",
                 "--method", "elrtv", "--slice-profile", "gaussian", "--slice-thickness", "1.5", "-o", str(out2)]) == 0
    assert nib.load(out2).shape == (12, 10, 12)


def test_through_plane_mistakes_are_one_line(tmp_path, capsys):
    from mrisr.data.io import write_image

    _volume(tmp_path / "t2.nii.gz")
    write_image(tmp_path / "slice.png", np.full((8, 8), 0.5), bits=8)
    bad = [
        ["upscale", str(tmp_path / "slice.png"), "--isotropic", "-o", str(tmp_path / "o.png")],
        ["upscale", str(tmp_path / "t2.nii.gz"), "--scale", "2", "--slice-thickness", "3", "-o", str(tmp_path / "o.nii.gz")],
        ["upscale", str(tmp_path / "t2.nii.gz"), "--through-plane", "20", "-o", str(tmp_path / "o.nii.gz")],
        ["upscale", str(tmp_path / "t2.nii.gz"), "--isotropic", "--slice-thickness", "0", "-o", str(tmp_path / "o.nii.gz")],
    ]
    for argv in bad:
        assert main(argv) == 2, argv
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and "Traceback" not in err[0], err
        assert "slice.png" in err[0] or "t2.nii.gz" in err[0] or "--slice" in err[0], err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["slice.png", "t2.nii.gz"]
