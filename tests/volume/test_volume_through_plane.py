"""Through-plane SR of thick-slice volumes: slice plan, geometry, interpolation, the ELRTV data model, files."""

from __future__ import annotations

import nibabel as nib
import numpy as np
import pytest
from nibabel.affines import from_matvec

from mrisr.classical.operators import profile_matrix
from mrisr.errors import InputError
from mrisr.methods import make_method
from mrisr.volume import fov_points, slice_plan, upscale_through_plane, upscale_through_plane_file
from mrisr.volume.through_plane import (
    CROP_MARGIN,
    background_floor,
    foreground_span,
    render_box,
    slice_span,
)

OBLIQUE = from_matvec(
    np.array([[0.8, -0.3, 0.9], [0.3, 0.85, -0.6], [-0.1, 0.2, 3.9]]) @ np.diag([1.0, 1.0, 1.0]), [5.0, -7.0, 12.0]
)


def _thick_phantom(shape=(14, 16, 40), factor=4, profile="box"):
    """(HR volume with structure along every axis, its thick-slice version along axis 2)."""
    grids = np.meshgrid(*[np.linspace(-1, 1, n) for n in shape], indexing="ij")
    r = np.sqrt(grids[0] ** 2 + grids[1] ** 2 + (1.2 * grids[2]) ** 2)
    hr = 0.8 * (r < 0.8) + 0.15 * np.cos(6 * grids[2]) * (r < 0.8) + 0.05
    m = profile_matrix(shape[2], shape[2] // factor, profile=profile)
    return hr, np.einsum("ijk,lk->ijl", hr, m)


def _image(data, zooms=(1.0, 1.0, 4.0), dtype=np.float32):
    return nib.Nifti1Image(np.asarray(data).astype(dtype), np.diag([*zooms, 1.0]))


def _psnr(a, b):
    return 10 * np.log10(1.0 / np.mean((a - b) ** 2))


def test_slice_plan_defaults_to_the_thickest_axis_and_an_isotropic_grid():
    assert slice_plan((20, 30, 8), (0.9, 0.9, 4.5)) == (2, (20, 30, 40), 5.0)
    assert slice_plan((6, 30, 20), (3.0, 1.0, 1.0)) == (0, (18, 30, 20), 3.0)
    assert slice_plan((20, 30, 8), (0.9, 0.9, 4.5), factor=2) == (2, (20, 30, 16), 2.0)
    assert slice_plan((20, 30, 8), (0.9, 0.9, 4.5), spacing=1.5) == (2, (20, 30, 24), 3.0)
    # non-integer: round(n * factor) slices, the effective factor is what the grid gives
    axis, shape, eff = slice_plan((20, 30, 7), (1.0, 1.0, 2.5))
    assert (axis, shape) == (2, (20, 30, 18)) and eff == pytest.approx(18 / 7)
    assert slice_plan((20, 30, 8), (1, 1, 1), axis=1, factor=1) == (1, (20, 30, 8), 1.0)


def test_slice_plan_rejects_what_it_cannot_do():
    with pytest.raises(ValueError, match="no single thickest axis"):
        slice_plan((8, 8, 8), (1.0, 1.0, 1.0))
    with pytest.raises(ValueError, match="already finer"):
        slice_plan((8, 8, 8), (1.0, 1.0, 2.0), spacing=3.0)
    with pytest.raises(ValueError, match="at most one"):
        slice_plan((8, 8, 8), (1.0, 1.0, 2.0), factor=2, spacing=1.0)
    with pytest.raises(ValueError, match="scale must be"):
        slice_plan((8, 8, 8), (1.0, 1.0, 2.0), factor=0.5)
    with pytest.raises(ValueError, match="axis must be"):
        slice_plan((8, 8, 8), (1.0, 1.0, 2.0), axis=3)


@pytest.mark.parametrize("axis", [0, 2])
def test_field_of_view_is_kept_and_only_the_slice_axis_is_refined(axis):
    data = np.random.default_rng(0).random((6, 7, 5)).astype(np.float32)
    img = nib.Nifti1Image(data, OBLIQUE)
    out = upscale_through_plane(img, axis=axis, factor=3, method="bicubic", progress=False)
    expected = [3 * n if a == axis else n for a, n in enumerate(data.shape)]
    assert out.shape == tuple(expected)
    np.testing.assert_allclose(fov_points(out.affine, out.shape), fov_points(img.affine, img.shape), atol=1e-5)
    zin, zout = np.array(img.header.get_zooms()), np.array(out.header.get_zooms())
    np.testing.assert_allclose(zout, [z / 3 if a == axis else z for a, z in enumerate(zin)], rtol=1e-6)


def test_interpolation_is_one_dimensional_along_the_slice_axis():
    data = np.random.default_rng(1).random((5, 6, 4)).astype(np.float32)
    out = upscale_through_plane(_image(data), factor=2.5, method="bicubic", progress=False).get_fdata()
    bicubic, peak = make_method("bicubic", scale=2.5), data.max()
    # each output column along axis 2 depends on its own input column only: both views give the same answer
    expected = np.stack([bicubic(data[i] / peak, (6, 10)) * peak for i in range(5)])
    np.testing.assert_allclose(out, expected, atol=1e-6)


@pytest.mark.parametrize("method", ["bicubic", "elrtv"])
def test_a_constant_volume_stays_constant(method):
    img = _image(np.full((8, 9, 4), 700, dtype=np.int16), dtype=np.int16)
    out = upscale_through_plane(img, factor=4, method=method, progress=False)
    assert out.get_data_dtype() == np.int16
    np.testing.assert_array_equal(np.asarray(out.dataobj), 700)


def test_factor_one_is_an_exact_copy():
    data = np.random.default_rng(2).integers(0, 900, (5, 6, 4)).astype(np.int16)
    out = upscale_through_plane(_image(data, dtype=np.int16), factor=1, progress=False)
    np.testing.assert_array_equal(np.asarray(out.dataobj), data)
    assert out.header.get_zooms() == (1.0, 1.0, 4.0)
    scaled = _image(data, dtype=np.int16)
    scaled.header.set_slope_inter(0.5, -10.0)
    scaled = nib.Nifti1Image.from_bytes(scaled.to_bytes())  # stored ints with a slope, as read from disk
    out = upscale_through_plane(scaled, factor=1, dtype="float32", progress=False)
    np.testing.assert_array_equal(out.get_fdata(), data * 0.5 - 10.0)


def test_elrtv_told_the_slice_profile_beats_interpolation_and_explains_the_slices():
    hr, lr = _thick_phantom()
    img = _image(lr)
    sr = {m: upscale_through_plane(img, factor=4, method=m, progress=False).get_fdata() for m in ("bicubic", "elrtv")}
    assert _psnr(sr["elrtv"], hr) > _psnr(sr["bicubic"], hr) + 1.0
    # data consistency: thickening the ELRTV result again reproduces the acquired slices more closely
    m = profile_matrix(hr.shape[2], lr.shape[2])
    resid = {k: np.abs(np.einsum("ijk,lk->ijl", v, m) - lr).mean() for k, v in sr.items()}
    assert resid["elrtv"] < 0.8 * resid["bicubic"]


def test_the_profile_reaches_the_solver():
    # gaps between slices (thickness below the spacing): the matching profile explains the slices best
    hr, _ = _thick_phantom()
    m_thin = profile_matrix(hr.shape[2], hr.shape[2] // 4, thickness=0.5)
    lr = np.einsum("ijk,lk->ijl", hr, m_thin)
    img = _image(lr)
    told = upscale_through_plane(img, factor=4, thickness=2.0, method="elrtv", progress=False).get_fdata()
    wrong = upscale_through_plane(img, factor=4, thickness=6.0, method="elrtv", progress=False).get_fdata()
    fit = {k: np.abs(np.einsum("ijk,lk->ijl", v, m_thin) - lr).mean() for k, v in (("told", told), ("wrong", wrong))}
    assert fit["told"] < fit["wrong"]
    assert _psnr(told, hr) > _psnr(wrong, hr)


def test_file_round_trip_and_bad_input(tmp_path):
    _, lr = _thick_phantom(shape=(8, 9, 16))
    src = tmp_path / "thick.nii.gz"
    nib.save(_image(lr * 1000, zooms=(0.9, 0.9, 3.6), dtype=np.int16), src)
    out = upscale_through_plane_file(src, tmp_path / "iso.nii.gz", method="bicubic", progress=False)
    img = nib.load(out)
    assert img.shape == (8, 9, 16) and img.get_data_dtype() == np.int16
    np.testing.assert_allclose(img.header.get_zooms(), (0.9, 0.9, 0.9), rtol=1e-6)
    with pytest.raises(InputError, match="must end in .nii"):
        upscale_through_plane_file(src, tmp_path / "iso.png", progress=False)
    with pytest.raises(ValueError, match="thickness must be > 0 mm"):
        upscale_through_plane_file(src, tmp_path / "bad.nii.gz", thickness=-1.0, progress=False)
    with pytest.raises(TypeError, match="unknown options: scale"):
        upscale_through_plane_file(src, tmp_path / "bad.nii.gz", scale=2)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["iso.nii.gz", "thick.nii.gz"]


@pytest.mark.parametrize("factor, preset", [(2.0, 2), (2.9, 2), (3.0, 4), (4.0, 4), (6.0, 4)])
def test_plain_elrtv_uses_the_through_plane_preset_of_the_nearer_factor(factor, preset):
    from mrisr.classical.elrtv import ELRTVConfig
    from mrisr.classical.method import read_preset, slices_preset_path
    from mrisr.volume.through_plane import _method_spec

    spec, scale, params = _method_spec("elrtv", None, "gaussian", 0.8, factor)
    assert spec == f"elrtv:{slices_preset_path(preset)}" and scale == preset
    assert params["operator"] == {"kind": "slice_profile", "profile": "gaussian", "thickness": 0.8, "bias": 0.0}
    shipped = read_preset(slices_preset_path(preset))
    assert shipped["operator"]["kind"] == "slice_profile"
    ELRTVConfig.from_dict({k: v for k, v in shipped.items() if k != "operator"})
    # a named preset, an explicit operator and other methods are left as given
    assert _method_spec("elrtv:my.yaml", None, "box", 1.0, factor)[:2] == ("elrtv:my.yaml", factor)
    assert _method_spec("elrtv", {"operator": "gaussian"}, "box", 1.0, factor)[2]["operator"] == "gaussian"
    assert _method_spec("bicubic", None, "box", 1.0, factor) == ("bicubic", factor, None)
    # a LIIF method renders thick-slice planes as resized, never as read k-space cuts, unless told otherwise
    assert _method_spec("liif-blind", None, "box", 1.0, factor)[2] == {"acquisition": "resize"}
    assert _method_spec("liif-blind", {"acquisition": "kspace"}, "box", 1.0, factor)[2] == {"acquisition": "kspace"}


def _masked_phantom():
    """A skull-stripped-like volume: structure in a block, exactly zero around it; 4 mm slices along axis 2."""
    rng = np.random.default_rng(5)
    data = np.zeros((40, 44, 6), np.float32)
    data[12:20, 15:31] = 0.2 + 0.8 * rng.random((8, 16, 6))
    return data


def test_the_foreground_span_is_the_anatomy_plus_a_margin():
    data = _masked_phantom()
    m = CROP_MARGIN
    planes = np.moveaxis(data, 0, 0)[10:26]  # planes along axis 0: (16, 44, 6)
    assert foreground_span(planes, 0.0) == slice(15 - m, 31 + m)
    assert foreground_span(planes, 0.0, margin=20) == slice(0, 44)  # clipped to the plane
    assert foreground_span(planes[:1], 0.0) is None  # plane 10: background only
    noisy = planes + 0.01
    noisy[:, 0, 0] = 0.005  # no constant background: every column
    assert foreground_span(noisy, 0.005, margin=0) == slice(0, 44)


def test_the_slice_span_is_whole_periods_of_the_factor_on_the_output_grid():
    planes = np.zeros((2, 5, 10), np.float32)
    planes[:, 2, 4:6] = 1.0
    # x2.5 = 5/2: pairs of input slices make 5 output slices; slices 4-5 plus 1 of margin -> 3-6 -> 2-7 (whole pairs)
    assert slice_span(planes, 0.0, 25, margin=1) == (slice(2, 8), slice(5, 20))
    assert slice_span(planes, 0.0, 20, margin=1) == (slice(3, 7), slice(6, 14))  # x2: any slice starts a period
    assert slice_span(planes, 0.0, 20, margin=9) == (slice(0, 10), slice(0, 20))  # clipped to the axis
    seven = np.zeros((1, 3, 7), np.float32)
    seven[0, 1, 3] = 1.0
    assert slice_span(seven, 0.0, 16, margin=0) == (slice(0, 7), slice(0, 16))  # 16/7: one period, the whole axis
    # the output slices of the span are exactly those whose centres fall inside it
    for n_out in (20, 25, 30):
        rows, out = slice_span(planes, 0.0, n_out, margin=1)
        centres = (np.arange(n_out) + 0.5) * 10 / n_out
        assert np.array_equal(np.flatnonzero((centres > rows.start) & (centres < rows.stop)),
                              np.arange(out.start, out.stop))


def test_the_render_box_crops_columns_and_optionally_slices():
    data = np.zeros((4, 30, 40), np.float32)
    data[:, 10:14, 18:22] = 0.5
    m = CROP_MARGIN
    cols = slice(10 - m, 14 + m)
    assert render_box(data, 0.0, 80, slices=False) == (cols, slice(0, 40), slice(0, 80))
    assert render_box(data, 0.0, 80, slices=True) == (cols, slice(18 - m, 22 + m), slice(2 * (18 - m), 2 * (22 + m)))
    assert render_box(np.zeros_like(data), 0.0, 80, slices=True) is None


def test_a_liif_model_renders_only_the_anatomys_slices_and_the_same_values(monkeypatch, caplog):
    import logging
    import re

    import mrisr.volume.through_plane as tp

    data = np.zeros((24, 24, 40), np.float32)  # 40 slices of 2 mm, anatomy in slices 14-25
    data[6:18, 5:19, 14:26] = 0.3 + 0.6 * np.random.default_rng(8).random((12, 14, 12))
    img = _image(data, zooms=(1.0, 1.0, 2.0))
    seen, apply = [], tp.apply_method
    monkeypatch.setattr(tp, "apply_method", lambda fn, block, *a: seen.append(block.shape) or apply(fn, block, *a))
    opts = dict(factor=2, method="liif-slices", progress=False)
    with caplog.at_level(logging.INFO, logger="mrisr.volume.through_plane"):
        cropped = upscale_through_plane(img, **opts).get_fdata()
        assert {s[2] for s in seen} == {12 + 2 * CROP_MARGIN}  # slices 6-33 of 40 rendered, the rest interpolated
        seen.clear()
        whole = upscale_through_plane(img, crop=False, **opts).get_fdata()
    assert {s[2] for s in seen} == {40}
    # the log says how many planes took how long, and what share of their voxels was rendered
    shares = [float(m) for m in re.findall(r"rendered 48 planes in \d+ s, (\d+) % of their voxels", caplog.text)]
    assert shares == [100 * 28 / 40, 100]  # 28 of the 40 slices (and every column: the margin reaches the edges)
    assert np.abs(cropped - whole).max() < 0.005  # the crop's edge is background: the anatomy barely moves
    assert (cropped[:, :, :8] == 0).all()  # far from the anatomy: the background, interpolated


def test_cropping_renders_only_the_anatomy_and_leaves_interpolation_unchanged():
    data = _masked_phantom()
    seen = []
    bicubic = make_method("bicubic", scale=4)

    def spy(lr, out_shape):
        seen.append((lr.shape, tuple(out_shape)))
        return bicubic(lr, out_shape)

    img = _image(data)
    cropped = upscale_through_plane(img, factor=4, method=spy, progress=False).get_fdata()
    m = CROP_MARGIN
    # planes along axis 0 in blocks of 16 (0-15, 16-31, 32-39): the first two hold anatomy (rows 12-19),
    # each rendered over its columns 15-30 plus the margin; along axis 1: blocks 0-15 and 16-31 of 44
    assert seen[:2] == [((16, 16 + 2 * m, 6), (16 + 2 * m, 24)), ((16, 16 + 2 * m, 6), (16 + 2 * m, 24))]
    assert seen[2:] == [((16, 8 + 2 * m, 6), (8 + 2 * m, 24)), ((16, 8 + 2 * m, 6), (8 + 2 * m, 24))]
    whole = upscale_through_plane(img, factor=4, method="bicubic", crop=False, progress=False).get_fdata()
    np.testing.assert_array_equal(cropped, whole)  # columns are interpolated independently: nothing moves
    assert (cropped[:12] == 0).all() and cropped[12:20, 15:31].min() > 0


def test_a_noisy_background_is_cropped_above_its_noise_floor_and_interpolated():
    from mrisr.data.resize import resize_matrix

    data = _masked_phantom()
    rng = np.random.default_rng(6)
    noisy = np.hypot(data + rng.normal(0, 0.02, data.shape), rng.normal(0, 0.02, data.shape)).astype(np.float32)
    assert background_floor(data, 2) == 0.0  # a constant background: its value
    floor = background_floor(noisy, 2)
    assert noisy.min() + 0.05 < floor < 0.2  # a few noise sigmas up, below the anatomy
    seen = []
    bicubic = make_method("bicubic", scale=4)

    def spy(lr, out_shape):
        seen.append(lr.shape)
        return bicubic(lr, out_shape)

    out = upscale_through_plane(_image(noisy), factor=4, method=spy, progress=False).get_fdata()
    m = CROP_MARGIN
    assert seen == [(16, 16 + 2 * m, 6)] * 2 + [(16, 8 + 2 * m, 6)] * 2  # as for the masked volume
    # voxels neither view rendered (rows 0-3 x columns 0-6) are the input interpolated linearly, noise and all
    linear = resize_matrix(6, 24, kernel="bilinear", antialias=False)
    np.testing.assert_allclose(out[:4, :7], noisy[:4, :7] @ linear.T, atol=1e-5)
    assert out[:4, :7].std() > 0.005


@pytest.mark.parametrize("axis", [0, 1])
def test_cropping_works_whatever_the_slice_axis(axis):
    data = np.zeros((30, 30, 30), np.float32)
    data[10:20, 8:22, 12:18] = 0.3 + 0.7 * np.random.default_rng(7).random((10, 14, 6))
    zooms = [1.0, 1.0, 1.0]
    zooms[axis] = 3.0
    img = _image(data, zooms=tuple(zooms))
    cropped = upscale_through_plane(img, axis=axis, factor=3, method="bicubic", progress=False).get_fdata()
    whole = upscale_through_plane(img, axis=axis, factor=3, method="bicubic", crop=False, progress=False).get_fdata()
    np.testing.assert_allclose(cropped, whole, atol=1e-6)
