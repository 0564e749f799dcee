"""DICOM series in: ordering, RAS affine, rescaling, errors."""

from __future__ import annotations

import sys

import nibabel as nib
import numpy as np
import pytest
from nibabel.affines import apply_affine

from mrisr.errors import InputError
from mrisr.volume import upscale_volume_file
from mrisr.volume.dicom import read_dicom_series

pydicom = pytest.importorskip("pydicom")

ROW = np.array([np.cos(0.3), np.sin(0.3), 0.0])  # oblique in-plane rotation
COL = np.array([-np.sin(0.3) * np.cos(0.2), np.cos(0.3) * np.cos(0.2), np.sin(0.2)])
NORMAL = np.cross(ROW, COL)
ORIGIN = np.array([-100.0, -80.0, 40.0])
SPACING = (0.8, 0.6)  # row spacing (between rows), column spacing (between columns)
GAP = 2.5


def _series(folder, n=5, rows=6, cols=7, *, slope=1.0, inter=0.0, series="1.2.3.4", order=None, thickness=None):
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, MRImageStorage

    folder.mkdir(exist_ok=True)
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 3000, size=(n, rows, cols)).astype(np.int16)
    for k in order if order is not None else range(n):
        meta = FileMetaDataset()
        meta.MediaStorageSOPClassUID = MRImageStorage
        meta.MediaStorageSOPInstanceUID = f"{series}.{k + 1}"
        meta.TransferSyntaxUID = ExplicitVRLittleEndian
        ds = Dataset()
        ds.file_meta = meta
        ds.SOPClassUID, ds.SOPInstanceUID = MRImageStorage, meta.MediaStorageSOPInstanceUID
        ds.SeriesInstanceUID, ds.SeriesDescription, ds.Modality = series, "t2 synthetic", "MR"
        ds.Rows, ds.Columns = rows, cols
        ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
        ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 1
        ds.PixelSpacing = list(SPACING)
        ds.ImageOrientationPatient = [*ROW, *COL]
        ds.ImagePositionPatient = list(ORIGIN + k * GAP * NORMAL)
        ds.RescaleSlope, ds.RescaleIntercept = slope, inter
        if thickness is not None:
            ds.SliceThickness = thickness
        ds.PixelData = pixels[k].tobytes()
        ds.save_as(folder / f"{series}-im{(7 * k) % n:03d}.dcm", enforce_file_format=True)  # names not in slice order
    return pixels


def test_series_is_sorted_and_mapped_to_ras(tmp_path):
    pixels = _series(tmp_path / "s", order=[3, 0, 4, 1, 2])
    (tmp_path / "s" / "notes.txt").write_text("not dicom")
    img = read_dicom_series(tmp_path / "s")
    assert img.shape == (7, 6, 5) and img.get_data_dtype() == np.int16
    data = np.asanyarray(img.dataobj)
    for i, j, k in [(0, 0, 0), (6, 5, 4), (3, 2, 1), (1, 4, 3)]:
        assert data[i, j, k] == pixels[k, j, i]
        lps = ORIGIN + k * GAP * NORMAL + i * SPACING[1] * ROW + j * SPACING[0] * COL
        np.testing.assert_allclose(apply_affine(img.affine, [i, j, k]), lps * [-1, -1, 1], atol=1e-5)
    assert int(img.header["sform_code"]) == 1 and int(img.header["qform_code"]) == 1


def test_rescaled_series_holds_physical_values(tmp_path):
    pixels = _series(tmp_path / "s", slope=0.5, inter=-100.0)
    img = read_dicom_series(tmp_path / "s")
    np.testing.assert_allclose(img.get_fdata()[:, :, 2], pixels[2].T * 0.5 - 100.0)
    assert img.get_data_dtype() == np.int16  # stored type requested on save


def test_dicom_folder_through_upscale_volume_file(tmp_path):
    _series(tmp_path / "s")
    out = upscale_volume_file(tmp_path / "s", tmp_path / "o.nii.gz", scale=2, method="bicubic", progress=False)
    a, b = read_dicom_series(tmp_path / "s"), nib.load(out)
    assert b.shape == (14, 12, 5) and b.get_data_dtype() == np.int16
    np.testing.assert_allclose(apply_affine(b.affine, [-0.5, -0.5, 0]), apply_affine(a.affine, [-0.5, -0.5, 0]),
                               atol=1e-4)


def test_dicom_errors(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "a.txt").write_text("x")
    with pytest.raises(InputError, match="no DICOM images"):
        read_dicom_series(empty)
    _series(tmp_path / "two", n=3, series="1.2.3")
    _series(tmp_path / "two", n=2, series="1.2.9")
    with pytest.raises(InputError, match="2 DICOM series"):
        read_dicom_series(tmp_path / "two")
    _series(tmp_path / "gap", n=4)
    (tmp_path / "gap" / "1.2.3.4-im003.dcm").unlink()  # slice 1 of 4 (7 * 1 % 4 = 3): uneven spacing
    with pytest.raises(InputError, match="non-uniform slice spacing"):
        read_dicom_series(tmp_path / "gap")


def test_missing_pydicom_is_a_clear_error(tmp_path, monkeypatch):
    _series(tmp_path / "s", n=2)
    monkeypatch.setitem(sys.modules, "pydicom", None)
    with pytest.raises(InputError, match=r"pip install 'mrisr\[dicom\]'"):
        read_dicom_series(tmp_path / "s")


def test_series_slice_thickness_reaches_through_plane_sr(tmp_path):
    from mrisr.volume import upscale_through_plane

    _series(tmp_path / "s", n=6, rows=12, cols=12, thickness=1.5)  # 1.5 mm slices every 2.5 mm: gaps
    img = read_dicom_series(tmp_path / "s")
    assert img.extra["slice_thickness"] == 1.5
    auto, told, contiguous = (
        upscale_through_plane(img, factor=4, method="elrtv", progress=False, **kw).get_fdata()
        for kw in ({}, {"thickness": 1.5}, {"thickness": 2.5})
    )
    np.testing.assert_array_equal(auto, told)
    assert np.abs(auto - contiguous).max() > 1.0  # the recorded thickness changed the solution
    _series(tmp_path / "u", n=6, rows=12, cols=12)
    assert "slice_thickness" not in read_dicom_series(tmp_path / "u").extra
