"""Whole volumes: slice-wise in-plane and through-plane super-resolution with the geometry kept.

>>> from mrisr.volume import upscale_volume, upscale_volume_file  # doctest: +SKIP
>>> upscale_volume_file("t2.nii.gz", "t2_x2.nii.gz", scale=2, method="bicubic")  # doctest: +SKIP

>>> from mrisr.volume import upscale_through_plane_file  # doctest: +SKIP
>>> upscale_through_plane_file("t2_5mm.nii.gz", "t2_iso.nii.gz", method="elrtv")  # doctest: +SKIP
>>> upscale_through_plane_file("t2_5mm.nii.gz", "t2_iso.nii.gz", method="liif-selfsup")  # doctest: +SKIP

See :mod:`mrisr.volume.core` for the header and intensity policy,
:mod:`mrisr.volume.geometry` for the affine arithmetic and
:mod:`mrisr.volume.dicom` for DICOM series input,
:mod:`mrisr.volume.selfsup` for the LIIF model fitted to a thick-slice volume's own slices.
"""

from mrisr.volume.core import DTYPES, output_shape, read_volume, upscale_volume, upscale_volume_file
from mrisr.volume.geometry import fov_points, resampled_affine, voxel_map
from mrisr.volume.intensity import IntensityMap
from mrisr.volume.selfsup import SelfSupConfig, fit_through_plane_model
from mrisr.volume.through_plane import slice_plan, upscale_through_plane, upscale_through_plane_file

__all__ = [
    "DTYPES",
    "IntensityMap",
    "SelfSupConfig",
    "fit_through_plane_model",
    "fov_points",
    "output_shape",
    "read_volume",
    "resampled_affine",
    "slice_plan",
    "upscale_through_plane",
    "upscale_through_plane_file",
    "upscale_volume",
    "upscale_volume_file",
    "voxel_map",
]
