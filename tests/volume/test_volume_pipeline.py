"""The shared steps of the in-plane and through-plane volume pipelines."""

from __future__ import annotations

import nibabel as nib
import numpy as np
import pytest

from mrisr.errors import InputError
from mrisr.volume import pipeline as P
from mrisr.volume.intensity import IntensityMap


def _scaled_int16(shape=(6, 5, 3), slope=0.5, inter=10.0):
    raw = np.arange(np.prod(shape), dtype=np.int16).reshape(shape)
    img = nib.Nifti1Image(raw, np.diag([1.0, 2.0, 3.0, 1.0]))
    img.header.set_slope_inter(slope, inter)
    return nib.Nifti1Image.from_bytes(img.to_bytes()), raw  # a proxy, as read from disk


def test_read_source_keeps_stored_values_and_scaling():
    img, raw = _scaled_int16()
    src = P.read_source(img)
    np.testing.assert_array_equal(src.raw, raw)
    assert (src.slope, src.inter) == (0.5, 10.0)
    store = P.storage_for(src, "input")
    assert store.dtype == np.int16 and store.scaled
    assert P.storage_for(src, "float32").dtype == np.float32 and not P.storage_for(src, "float32").scaled


def test_read_source_accepts_a_trailing_singleton_and_refuses_4d():
    data = np.ones((4, 4, 3, 1), np.float32)
    assert P.read_source(nib.Nifti1Image(data, np.eye(4))).raw.shape == (4, 4, 3)
    with pytest.raises(InputError, match="3-D volume, got 4-D"):
        P.read_source(nib.Nifti1Image(np.ones((4, 4, 3, 2), np.float32), np.eye(4)))


def test_storage_for_refuses_unknown_dtype():
    src = P.read_source(nib.Nifti1Image(np.ones((4, 4, 3), np.float32), np.eye(4)))
    with pytest.raises(ValueError, match="dtype must be one of input, float32, got 'int8'"):
        P.storage_for(src, "int8")


@pytest.mark.parametrize("bad", [0, -1, 2.0, True, "4"])
def test_check_batch_size(bad):
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        P.check_batch_size(bad)


def test_process_without_a_method_copies_the_stored_values():
    img, raw = _scaled_int16()
    src = P.read_source(img)
    out = P.process(src, raw.shape, 2, None, P.storage_for(src, "input"), batch_size=2, progress=False)
    np.testing.assert_array_equal(out, raw)


def test_apply_method_checks_shape_and_finiteness():
    img, raw = _scaled_int16()
    src = P.read_source(img)
    imap = IntensityMap.from_raw(src.raw, slope=src.slope, inter=src.inter)
    block = raw[:2]
    with pytest.raises(ValueError, match=r"method returned shape \(2, 4, 4\), expected \(2, 5, 3\)"):
        P.apply_method(lambda x, s: np.zeros((2, 4, 4)), block, (5, 3), imap, src)
    with pytest.raises(ValueError, match="NaN/Inf"):
        P.apply_method(lambda x, s: np.full((2, *s), np.nan), block, (5, 3), imap, src)
    unit = P.apply_method(lambda x, s: x, block, (5, 3), imap, src)
    np.testing.assert_allclose(imap.from_unit(unit), block * 0.5 + 10.0, atol=1e-9)


def test_write_volume_round_trips_integers_with_the_input_scaling(tmp_path):
    img, raw = _scaled_int16()
    src = P.read_source(img)
    store = P.storage_for(src, "input")
    path = P.write_volume(src, raw.copy(), store, tmp_path / "o.nii.gz")
    back = nib.load(path)
    assert back.get_data_dtype() == np.int16
    assert (back.dataobj.slope, back.dataobj.inter) == (0.5, 10.0)
    np.testing.assert_array_equal(np.asanyarray(back.dataobj.get_unscaled()), raw)
    np.testing.assert_array_equal(P.read_volume(path).get_fdata(), raw * 0.5 + 10.0)


def test_a_method_that_reads_its_input_reads_a_volume_once_on_its_fullest_planes():
    """All batches of one volume are rendered with one reading, taken on the fullest planes; then unpinned."""
    seen = []

    class Reader:
        pinned = None

        def pin_reading(self, lr, out_shape):
            seen.append(None if lr is None else lr.shape)
            self.pinned = lr

        def __call__(self, lr, out_shape):
            assert self.pinned is not None
            return np.zeros((len(lr), *out_shape))

    raw = np.zeros((8, 8, 9), np.float32)
    raw[..., 2:8] = np.random.default_rng(0).random((8, 8, 6))
    src = P.read_source(nib.Nifti1Image(raw, np.eye(4)))
    store = P.storage_for(src, "float32")
    fn = Reader()
    P.process(src, (16, 16, 9), 2, fn, store, batch_size=2, progress=False)
    assert seen == [(P.PIN_PLANES, 8, 8), None] and fn.pinned is None
