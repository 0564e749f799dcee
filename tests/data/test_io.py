"""Tests for mrisr.data.io: PNG/TIFF reading and writing, NIfTI loading."""

from __future__ import annotations

import struct
import warnings
import zlib
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest
from PIL import Image

from mrisr.data import io as mio
from mrisr.data.io import load_nifti, read_image, robust_normalise, volume_slice, write_image
from mrisr.errors import InputError

RNG = np.random.default_rng(0)


def ramp(h=16, w=24, levels=256) -> np.ndarray:
    """Integer ramp 1..levels-1 (never all zero)."""
    return (np.arange(h * w).reshape(h, w) * 7919 % (levels - 1) + 1).astype(np.int64)


def png16_colour(path: Path, rgb: np.ndarray) -> None:
    """Write a 16-bit RGB/RGBA PNG by hand (Pillow cannot write 16-bit colour)."""
    h, w, c = rgb.shape
    colour_type = {3: 2, 4: 6}[c]
    raw = b"".join(b"\x00" + rgb[i].astype(">u2").tobytes() for i in range(h))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", w, h, 16, colour_type, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
    )


# --------------------------------------------------------------------------- reading


@pytest.mark.parametrize("suffix", [".png", ".tif"])
def test_grey_8bit_values_exact(tmp_path, suffix):
    a = ramp().astype(np.uint8)
    Image.fromarray(a).save(tmp_path / f"g{suffix}")
    x = read_image(tmp_path / f"g{suffix}")
    assert x.dtype == np.float32 and x.shape == a.shape
    np.testing.assert_array_equal(x, (a / 255.0).astype(np.float32))


@pytest.mark.parametrize("suffix", [".png", ".tif"])
def test_grey_16bit_values_exact(tmp_path, suffix):
    a = ramp(levels=65536).astype(np.uint16)
    Image.fromarray(a).save(tmp_path / f"g{suffix}")
    x = read_image(tmp_path / f"g{suffix}")
    np.testing.assert_allclose(x, a / 65535.0, atol=1e-7)
    assert x.max() > 0.9  # really read as 16 bit, not truncated to 8


@pytest.mark.parametrize("mode", ["RGB", "RGBA"])
@pytest.mark.parametrize("suffix", [".png", ".tif"])
def test_equal_colour_channels_are_grey_exactly(tmp_path, mode, suffix):
    g = ramp().astype(np.uint8)
    chans = [g, g, g] + ([np.full_like(g, 255)] if mode == "RGBA" else [])
    Image.fromarray(np.dstack(chans), mode=None).save(tmp_path / f"c{suffix}")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no luminance warning for R=G=B
        x = read_image(tmp_path / f"c{suffix}")
    np.testing.assert_array_equal(x, (g / 255.0).astype(np.float32))


@pytest.mark.parametrize("alpha", [False, True])
def test_differing_channels_give_luminance_and_warn(tmp_path, alpha):
    r, g, b = (RNG.integers(0, 256, (8, 8)).astype(np.uint8) for _ in range(3))
    chans = [r, g, b] + ([np.full_like(r, 128)] if alpha else [])
    Image.fromarray(np.dstack(chans)).save(tmp_path / "c.png")
    with pytest.warns(UserWarning, match="converted to luminance"):
        x = read_image(tmp_path / "c.png")
    expected = (0.299 * r + 0.587 * g + 0.114 * b) / 255.0  # ITU-R BT.601 luma
    np.testing.assert_allclose(x, expected, atol=1e-6)


def test_grey_alpha_uses_grey_channel(tmp_path):
    g = ramp().astype(np.uint8)
    Image.fromarray(np.dstack([g, np.full_like(g, 7)]), mode=None).save(tmp_path / "la.png")
    np.testing.assert_array_equal(read_image(tmp_path / "la.png"), (g / 255.0).astype(np.float32))


@pytest.mark.parametrize("channels", [3, 4])
def test_16bit_colour_equal_channels_is_grey_with_precision_warning(tmp_path, channels):
    g = ramp(levels=65536).astype(np.uint16)
    png16_colour(tmp_path / "c16.png", np.dstack([g] * 3 + [np.full_like(g, 65535)] * (channels - 3)))
    with pytest.warns(UserWarning, match="8-bit precision"):
        x = read_image(tmp_path / "c16.png")
    assert x.shape == g.shape
    np.testing.assert_allclose(x, g / 65535.0, atol=1 / 255)


def test_float_tiff_in_range_read_as_is_and_out_of_range_refused(tmp_path):
    a = RNG.uniform(0.01, 1.0, (8, 8)).astype(np.float32)
    Image.fromarray(a).save(tmp_path / "f.tif")
    np.testing.assert_array_equal(read_image(tmp_path / "f.tif"), a)
    Image.fromarray(a * 3).save(tmp_path / "big.tif")
    with pytest.raises(InputError, match="outside"):
        read_image(tmp_path / "big.tif")
    a[0, 0] = np.nan
    Image.fromarray(a).save(tmp_path / "nan.tif")
    with pytest.raises(InputError, match="NaN"):
        read_image(tmp_path / "nan.tif")


def test_bad_files_refused_with_path(tmp_path):
    (tmp_path / "empty.png").write_bytes(b"")
    (tmp_path / "corrupt.png").write_bytes(b"this is not a png at all")
    good = tmp_path / "good.png"
    Image.fromarray(ramp().astype(np.uint8)).save(good)
    (tmp_path / "truncated.png").write_bytes(good.read_bytes()[:60])
    Image.fromarray(np.zeros((8, 8), np.uint8)).save(tmp_path / "zero.png")
    cases = {
        "missing.png": "file not found",
        "empty.png": "file is empty",
        "corrupt.png": "not a readable image",
        "truncated.png": "corrupt image",
        "zero.png": "all zeros",
    }
    for name, problem in cases.items():
        with pytest.raises(InputError, match=problem) as info:
            read_image(tmp_path / name)
        assert name in str(info.value) and "\n" not in str(info.value)
    with pytest.raises(InputError, match="is a folder"):
        read_image(tmp_path)
    assert not read_image(tmp_path / "zero.png", allow_blank=True).any()


# --------------------------------------------------------------------------- writing


@pytest.mark.parametrize("bits", [8, 16])
@pytest.mark.parametrize("suffix", [".png", ".tif", ".tiff"])
def test_write_round_trip(tmp_path, bits, suffix):
    x = RNG.uniform(0.0, 1.0, (20, 30)).astype(np.float32)
    path = write_image(tmp_path / f"out{suffix}", x, bits=bits)
    with Image.open(path) as im:
        assert im.mode == ("L" if bits == 8 else "I;16")
    y = read_image(path)
    levels = 2**bits - 1
    assert np.abs(y - x).max() <= 0.5 / levels + 1e-7
    np.testing.assert_array_equal(np.round(y * levels), np.round(x.astype(np.float64) * levels))


def test_write_clips_and_validates(tmp_path):
    y = read_image(write_image(tmp_path / "c.png", np.array([[-1.0, 0.5], [2.0, 1.0]])))
    np.testing.assert_allclose(y, [[0, 128 / 255], [1, 1]], atol=1e-7)
    with pytest.raises(ValueError, match="bits must be 8 or 16"):
        write_image(tmp_path / "a.png", np.ones((2, 2)), bits=12)
    with pytest.raises(InputError, match=r"\.png, \.tif"):
        write_image(tmp_path / "a.jpg", np.ones((2, 2)))
    with pytest.raises(ValueError, match="2-D grey"):
        write_image(tmp_path / "a.png", np.ones((2, 2, 3)))
    with pytest.raises(InputError, match="does not exist"):
        write_image(tmp_path / "nope" / "a.png", np.ones((2, 2)))


def test_atomic_write_leaves_nothing_on_failure(tmp_path, monkeypatch):
    dest = tmp_path / "img.png"
    dest.write_bytes(b"old contents")

    def broken_save(self, fp, *args, **kwargs):
        Path(fp).write_bytes(b"partial")  # half-written file ...
        raise OSError("disk full")  # ... then the failure

    monkeypatch.setattr(Image.Image, "save", broken_save)
    with pytest.raises(OSError, match="disk full"):
        write_image(dest, np.ones((4, 4)))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["img.png"]
    assert dest.read_bytes() == b"old contents"
    with pytest.raises(OSError):
        write_image(tmp_path / "new.png", np.ones((4, 4)))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["img.png"]


def test_is_image_and_nifti_names():
    assert mio.is_image_file("a.PNG") and mio.is_image_file("b.tiff") and not mio.is_image_file("c.jpg")
    assert mio.is_nifti_file("v.nii") and mio.is_nifti_file("v.NII.GZ") and not mio.is_nifti_file("v.gz")


# --------------------------------------------------------------------------- NIfTI


def save_nifti(path: Path, data: np.ndarray, affine=None) -> Path:
    nib.save(nib.Nifti1Image(data, np.diag([1.0, 2.0, 3.0, 1.0]) if affine is None else affine), str(path))
    return path


def test_nifti_3d_loaded_with_affine(tmp_path):
    data = RNG.normal(size=(5, 6, 7)).astype(np.float32)
    img = load_nifti(save_nifti(tmp_path / "v.nii.gz", data))
    assert img.shape == (5, 6, 7)
    np.testing.assert_array_equal(img.affine, np.diag([1.0, 2.0, 3.0, 1.0]))
    np.testing.assert_array_equal(np.asanyarray(img.dataobj), data)


def test_nifti_trailing_singleton_squeezed(tmp_path):
    data = RNG.normal(size=(5, 6, 7, 1)).astype(np.float32)
    img = load_nifti(save_nifti(tmp_path / "v.nii", data))
    assert img.shape == (5, 6, 7)
    np.testing.assert_array_equal(img.affine, np.diag([1.0, 2.0, 3.0, 1.0]))


def test_nifti_4d_refused(tmp_path):
    path = save_nifti(tmp_path / "v4.nii.gz", np.ones((5, 6, 7, 2), np.float32))
    with pytest.raises(InputError, match=r"expected a 3-D volume, got shape \(5, 6, 7, 2\)") as info:
        load_nifti(path)
    assert "v4.nii.gz" in str(info.value)
    assert load_nifti(path, ndim=None).shape == (5, 6, 7, 2)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_nifti_non_finite_refused(tmp_path, bad):
    data = np.ones((4, 4, 4), np.float32)
    data[1, 2, 3] = bad
    data[0, 0, 0] = bad
    with pytest.raises(InputError, match="2 NaN/Inf voxels"):
        load_nifti(save_nifti(tmp_path / "bad.nii.gz", data))


def test_nifti_bad_files(tmp_path):
    (tmp_path / "junk.nii.gz").write_bytes(b"definitely not gzip")
    (tmp_path / "v.png").write_bytes(b"x")
    with pytest.raises(InputError, match="cannot read NIfTI"):
        load_nifti(tmp_path / "junk.nii.gz")
    with pytest.raises(InputError, match="expected a NIfTI file"):
        load_nifti(tmp_path / "v.png")
    with pytest.raises(InputError, match="file not found"):
        load_nifti(tmp_path / "none.nii")


def test_volume_slice_middle_and_axis():
    vol = np.arange(3 * 4 * 5).reshape(3, 4, 5)
    np.testing.assert_array_equal(volume_slice(vol), vol[:, :, 2])
    np.testing.assert_array_equal(volume_slice(vol, axis=0), vol[1])
    np.testing.assert_array_equal(volume_slice(vol, axis=1, index=3), vol[:, 3, :])
    with pytest.raises(ValueError, match="out of range"):
        volume_slice(vol, axis=0, index=3)
    with pytest.raises(ValueError, match="3-D"):
        volume_slice(vol[0])


def test_robust_normalise():
    x = np.zeros((50, 50))
    x[10:40, 10:40] = np.linspace(100, 200, 900).reshape(30, 30)
    x[20, 20] = 1e6  # a hot voxel must not set the scale
    y = robust_normalise(x)
    assert y.dtype == np.float32 and y.min() == 0.0 and y.max() == 1.0
    assert (y == 0).sum() == 50 * 50 - 900  # background stays exactly 0
    assert 0.3 < np.median(y[10:40, 10:40]) < 0.9
    # non-negative data keep 0 as the lower bound: a constant image maps to 1
    np.testing.assert_array_equal(robust_normalise(np.full((4, 4), 5.0)), 1.0)
    assert not robust_normalise(np.zeros((4, 4))).any()
