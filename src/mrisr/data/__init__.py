"""Data layer: image/volume I/O, resizing, degradations, paired datasets."""

from mrisr.data.datasets import (
    Pair,
    find_pairs,
    list_images,
    load_pair,
    open_split,
    synthetic_pairs,
)
from mrisr.data.degrade import DEGRADATIONS, degrade, parse_degradation
from mrisr.data.io import load_nifti, read_image, robust_normalise, volume_slice, write_image
from mrisr.data.resize import check_scale, resize, resize_matrix

__all__ = [
    "DEGRADATIONS",
    "Pair",
    "check_scale",
    "degrade",
    "find_pairs",
    "list_images",
    "load_nifti",
    "load_pair",
    "open_split",
    "parse_degradation",
    "read_image",
    "resize",
    "resize_matrix",
    "robust_normalise",
    "synthetic_pairs",
    "volume_slice",
    "write_image",
]
