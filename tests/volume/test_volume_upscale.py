"""Whole-volume in-plane SR: geometry, intensities, header, bad input."""

from __future__ import annotations

import nibabel as nib
import numpy as np
import pytest
from nibabel.affines import apply_affine, from_matvec, voxel_sizes

from mrisr.errors import InputError
from mrisr.volume import output_shape, resampled_affine, upscale_volume, upscale_volume_file


def _rotation(a, b, c):
    """Rotation matrix from three angles in degrees (x, then y, then z)."""
    a, b, c = np.deg2rad([a, b, c])
    rx = np.array([[1, 0, 0], [0, np.cos(a), -np.sin(a)], [0, np.sin(a), np.cos(a)]])
    ry = np.array([[np.cos(b), 0, np.sin(b)], [0, 1, 0], [-np.sin(b), 0, np.cos(b)]])
    rz = np.array([[np.cos(c), -np.sin(c), 0], [np.sin(c), np.cos(c), 0], [0, 0, 1]])
    return rz @ ry @ rx


OBLIQUE = from_matvec(_rotation(12, -25, 33) @ np.diag([0.9, 1.1, 3.0]), [10.0, -20.0, 5.5])
FLIPPED = from_matvec(np.diag([-0.94, 0.94, 1.2])[:, [1, 0, 2]], [120.0, -100.0, -60.0])


def _phantom(shape=(20, 24, 10), dtype=np.int16, peak=1000, seed=0):
    """A smooth blob plus noise, non-negative, peak near ``peak``."""
    rng = np.random.default_rng(seed)
    grids = np.meshgrid(*[np.linspace(-1, 1, n) for n in shape], indexing="ij")
    blob = np.exp(-sum(g**2 for g in grids) * 2.0)
    vol = peak * blob + rng.normal(0, peak * 0.02, shape)
    vol = np.clip(vol, 0, None)
    return np.round(vol).astype(dtype) if np.dtype(dtype).kind in "iu" else vol.astype(dtype)


def _image(data, affine=OBLIQUE, *, qcode=1, scode=2):
    img = nib.Nifti1Image(data, affine)
    img.set_qform(affine, code=qcode)
    img.set_sform(affine, code=scode)
    img.header.set_xyzt_units("mm", "sec")
    img.header["descrip"] = b"synthetic phantom"
    return img


def _fov(affine, shape):
    """World coordinates of the FOV centre and of its 8 voxel-edge corners."""
    n = np.asarray(shape[:3], float)
    corners = np.array(np.meshgrid(*[[-0.5, m - 0.5] for m in n], indexing="ij")).reshape(3, -1).T
    ijk = np.vstack([(n - 1) / 2, corners])
    return apply_affine(affine, ijk)


@pytest.mark.parametrize("axis", [0, 1, 2])
@pytest.mark.parametrize("affine", [OBLIQUE, FLIPPED, np.diag([1.0, 2.0, 3.0, 1.0])])
def test_field_of_view_is_kept(axis, affine):
    img = _image(_phantom(), affine)
    out = upscale_volume(img, scale=2, axis=axis, method="bicubic", progress=False)
    expected = [n if a == axis else 2 * n for a, n in enumerate(img.shape)]
    assert out.shape == tuple(expected)
    for aff in (out.affine, out.get_qform(), out.get_sform()):
        np.testing.assert_allclose(_fov(aff, out.shape), _fov(img.affine, img.shape), atol=1e-4)


@pytest.mark.parametrize("kwargs", [{"scale": 2.5}, {"size": (37, 50)}, {"scale": 3}])
def test_voxel_size_divided_by_effective_scale(kwargs):
    img = _image(_phantom(), OBLIQUE)
    out = upscale_volume(img, axis=2, method="bicubic", progress=False, **kwargs)
    ratio = np.array(out.shape) / np.array(img.shape)
    assert ratio[2] == 1 and ratio[0] > 1 and ratio[1] > 1
    np.testing.assert_allclose(voxel_sizes(out.affine), voxel_sizes(img.affine) / ratio, rtol=1e-5)
    np.testing.assert_allclose(out.header.get_zooms(), np.array(img.header.get_zooms()) / ratio, rtol=1e-5)
    np.testing.assert_allclose(_fov(out.affine, out.shape), _fov(img.affine, img.shape), atol=1e-4)


def test_identity_at_scale_one_with_nearest():
    img = _image(_phantom())
    for kwargs in ({"scale": 1}, {"size": img.shape[:2]}):
        out = upscale_volume(img, method="nearest", progress=False, **kwargs)
        assert np.array_equal(np.asanyarray(out.dataobj), np.asanyarray(img.dataobj))
        assert out.get_data_dtype() == img.get_data_dtype()
        np.testing.assert_array_equal(out.affine, img.affine)
        assert out.header["descrip"] == img.header["descrip"]


def test_nearest_x2_is_exact_voxel_repetition():
    data = _phantom(dtype=np.int16)
    data[0, 0, 0] = -300  # negative values must survive the [0, 1] round trip too
    out = upscale_volume(_image(data), scale=2, method="nearest", progress=False)
    expected = np.repeat(np.repeat(data, 2, axis=0), 2, axis=1)
    assert np.array_equal(np.asanyarray(out.dataobj), expected)


@pytest.mark.parametrize("dtype", [np.int16, np.uint8, np.uint16, np.float32, np.float64])
def test_dtype_and_intensity_range_kept(dtype):
    peak = 200 if dtype == np.uint8 else 3000
    data = _phantom(dtype=dtype, peak=peak)
    out = upscale_volume(_image(data), scale=2, method="bicubic", progress=False)
    vals = np.asanyarray(out.dataobj)
    assert vals.dtype == np.dtype(dtype) and out.get_data_dtype() == np.dtype(dtype)
    assert vals.min() >= data.min() and vals.max() <= data.max()
    assert vals.max() > 0.9 * data.max()  # the range is used, not squashed
    # a smooth volume: bicubic agrees with the input at matching positions within the noise
    assert abs(float(vals.mean()) - float(data.mean())) < 0.02 * peak


def test_float32_output_on_request():
    data = _phantom(dtype=np.int16)
    out = upscale_volume(_image(data), scale=2, dtype="float32", method="bicubic", progress=False)
    assert np.asanyarray(out.dataobj).dtype == np.float32 and out.get_data_dtype() == np.float32
    rounded = upscale_volume(_image(data), scale=2, method="bicubic", progress=False)
    diff = np.asanyarray(out.dataobj) - np.asanyarray(rounded.dataobj)
    assert 0 < np.abs(diff).max() <= 0.5 + 1e-4  # same values, just not rounded


def test_method_sees_unit_range_batches_and_batching_is_invisible():
    calls = []

    def spy(lr, out_shape):
        calls.append((lr.shape, lr.dtype, float(lr.min()), float(lr.max())))
        from mrisr.data.resize import resize

        return resize(lr, out_shape, kernel="bilinear", clip=True)

    img = _image(_phantom())
    a = upscale_volume(img, scale=2, method=spy, batch_size=3, progress=False)
    assert [c[0][0] for c in calls] == [3, 3, 3, 1]
    assert all(c[1] == np.float32 and c[2] >= 0 and c[3] <= 1 for c in calls)
    b = upscale_volume(img, scale=2, method="bilinear", batch_size=64, progress=False)
    assert np.array_equal(np.asanyarray(a.dataobj), np.asanyarray(b.dataobj))


@pytest.mark.parametrize("qcode,scode", [(1, 2), (0, 4), (2, 0), (1, 1)])
def test_header_codes_units_and_description_survive_a_file_round_trip(tmp_path, qcode, scode):
    src, dst = tmp_path / "in.nii.gz", tmp_path / "out.nii.gz"
    nib.save(_image(_phantom(), OBLIQUE, qcode=qcode, scode=scode), src)
    upscale_volume_file(src, dst, scale=2, axis=1, method="bicubic", progress=False)
    a, b = nib.load(src), nib.load(dst)
    assert int(b.header["qform_code"]) == qcode and int(b.header["sform_code"]) == scode
    assert b.header.get_xyzt_units() == ("mm", "sec")
    assert b.header["descrip"] == a.header["descrip"]
    assert b.shape == (40, 24, 20)
    np.testing.assert_allclose(_fov(b.affine, b.shape), _fov(a.affine, a.shape), atol=1e-4)
    # mapping the output grid back onto the input grid recovers the input affine
    np.testing.assert_allclose(resampled_affine(b.affine, b.shape, a.shape), a.affine, atol=1e-5)
    if qcode:
        np.testing.assert_allclose(_fov(b.get_qform(), b.shape), _fov(a.get_qform(), a.shape), atol=1e-4)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp file left


def test_scl_slope_and_inter_written_exactly(tmp_path):
    raw = _phantom(dtype=np.int16, peak=2000)
    img = _image(raw)
    img.header.set_slope_inter(2.5, -10.0)
    src = tmp_path / "scaled.nii"
    nib.save(img, src)
    # nibabel keeps header scaling only if the header says so at save time: check the fixture
    loaded = nib.load(src)
    assert loaded.dataobj.slope == 2.5 and loaded.dataobj.inter == -10.0
    raw = np.asanyarray(loaded.dataobj.get_unscaled())

    for kwargs, expected in (
        ({"scale": 1, "method": "nearest"}, raw),
        ({"scale": 2, "method": "nearest"}, np.repeat(np.repeat(raw, 2, 0), 2, 1)),
    ):
        dst = tmp_path / "out.nii.gz"
        upscale_volume_file(src, dst, progress=False, **kwargs)
        out = nib.load(dst)
        assert (out.dataobj.slope, out.dataobj.inter) == (2.5, -10.0)
        assert np.array_equal(np.asanyarray(out.dataobj.get_unscaled()), expected)
    # in memory: physical values, consistent with the file
    mem = upscale_volume(loaded, scale=2, method="nearest", progress=False)
    np.testing.assert_allclose(mem.get_fdata(), np.repeat(np.repeat(loaded.get_fdata(), 2, 0), 2, 1), rtol=1e-6)
    assert mem.get_data_dtype() == np.int16


def test_nifti2_stays_nifti2_and_int_size_works():
    img = nib.Nifti2Image(_phantom(), OBLIQUE)
    out = upscale_volume(img, size=48, axis=0, method="bicubic", progress=False)
    assert isinstance(out, nib.Nifti2Image) and out.shape == (20, 48, 48)
    np.testing.assert_allclose(_fov(out.affine, out.shape), _fov(img.affine, img.shape), atol=1e-4)


def test_trailing_singleton_dimension_is_accepted():
    data = _phantom()[..., None]
    out = upscale_volume(nib.Nifti1Image(data, OBLIQUE), scale=2, method="bicubic", progress=False)
    assert out.shape == (40, 48, 10)


@pytest.mark.parametrize(
    "data,match",
    [
        (np.zeros((6, 7, 5, 3), np.float32), "3-D"),
        (np.zeros((6, 7), np.float32), "3-D"),
    ],
)
def test_wrong_dimensionality_is_an_input_error(data, match):
    with pytest.raises(InputError, match=match):
        upscale_volume(nib.Nifti1Image(data, np.eye(4)), scale=2, method="bicubic", progress=False)


def test_nan_voxels_are_an_input_error():
    data = _phantom(dtype=np.float32)
    data[3, 4, 5] = np.nan
    data[1, 1, 1] = np.inf
    with pytest.raises(InputError, match="2 NaN/Inf"):
        upscale_volume(nib.Nifti1Image(data, np.eye(4)), scale=2, method="bicubic", progress=False)


def _save(tmp_path, data, name="vol.nii.gz"):
    path = tmp_path / name
    nib.save(nib.Nifti1Image(data, OBLIQUE), path)
    return path


def test_file_errors_name_the_file_and_leave_nothing(tmp_path):
    four_d = _save(tmp_path, np.ones((6, 7, 5, 3), np.float32), "fmri.nii.gz")
    with pytest.raises(InputError, match=r"fmri\.nii\.gz: expected a 3-D volume, got 4-D"):
        upscale_volume_file(four_d, tmp_path / "o.nii.gz", scale=2, method="bicubic", progress=False)
    nan = np.ones((6, 7, 5), np.float32)
    nan[0, 0, 0] = np.nan
    with pytest.raises(InputError, match=r"nan\.nii\.gz: .*NaN/Inf"):
        upscale_volume_file(_save(tmp_path, nan, "nan.nii.gz"), tmp_path / "o.nii.gz", scale=2, method="bicubic", progress=False)
    broken = tmp_path / "broken.nii.gz"
    broken.write_bytes(b"this is not a nifti file at all" * 20)
    with pytest.raises(InputError, match=r"broken\.nii\.gz: cannot read"):
        upscale_volume_file(broken, tmp_path / "o.nii.gz", scale=2, method="bicubic", progress=False)
    with pytest.raises(InputError, match="not found"):
        upscale_volume_file(tmp_path / "missing.nii", tmp_path / "o.nii.gz", scale=2, method="bicubic", progress=False)
    png = tmp_path / "slice.png"
    png.write_bytes(b"x")
    with pytest.raises(InputError, match="expected a .nii/.nii.gz file or a DICOM"):
        upscale_volume_file(png, tmp_path / "o.nii.gz", scale=2, method="bicubic", progress=False)
    ok = _save(tmp_path, _phantom())
    with pytest.raises(InputError, match="output must end in .nii"):
        upscale_volume_file(ok, tmp_path / "o.png", scale=2, method="bicubic", progress=False)
    assert not (tmp_path / "o.nii.gz").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_failure_during_processing_leaves_no_output(tmp_path):
    def broken(lr, out_shape):
        raise RuntimeError("boom")

    src = _save(tmp_path, _phantom())
    dst = tmp_path / "out.nii.gz"
    with pytest.raises(RuntimeError):
        upscale_volume_file(src, dst, scale=2, method=broken, progress=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["vol.nii.gz"]


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"scale": 0.5}, "scale"),
        ({"scale": 20}, "scale"),
        ({"scale": 2, "size": 40}, "exactly one"),
        ({}, "exactly one"),
        ({"size": (10, 48)}, "smaller"),
        ({"scale": 2, "axis": 3}, "axis"),
        ({"scale": 2, "method": "bicubc"}, "bicubic"),
        ({"scale": 2, "dtype": "int8"}, "dtype"),
        ({"scale": 2, "batch_size": 0}, "batch_size"),
    ],
)
def test_bad_options_are_value_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        upscale_volume(_image(_phantom()), progress=False, **kwargs)


def test_output_shape_rounds_each_axis():
    shape, eff = output_shape((25, 30, 7), axis=2, scale=1.5)
    assert shape == (38, 45, 7) and eff == pytest.approx(38 / 25)  # the larger per-axis ratio


def test_package_level_lazy_export():
    import mrisr

    assert mrisr.upscale_volume is upscale_volume


def test_default_method_is_mrisrs_default_for_the_scale(monkeypatch):
    """No method: the same choice as mrisr upscale without --method (mrisr.methods.default_method)."""
    import mrisr.methods as methods

    asked = []
    monkeypatch.setattr(methods, "default_method", lambda s: asked.append(s) or "nearest")
    data = _phantom()
    out = upscale_volume(_image(data), scale=2, progress=False)
    assert asked == [2.0]
    np.testing.assert_array_equal(np.asarray(out.dataobj), np.repeat(np.repeat(data, 2, 0), 2, 1))
