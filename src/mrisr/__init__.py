"""mrisr: MRI super-resolution toolkit.

Classical ELRTV and deep LIIF (+SMAM, +EEM) super-resolution of MRI slices and
volumes, with the study's evaluation protocol built in.
"""

from __future__ import annotations

from mrisr.version import __version__

__all__ = ["__version__", "upscale_through_plane", "upscale_volume"]


def __getattr__(name: str):
    # Lazy: keep ``import mrisr`` (and ``mrisr --help``) free of torch/nibabel.
    if name in ("upscale_volume", "upscale_through_plane"):
        import mrisr.volume

        return getattr(mrisr.volume, name)
    raise AttributeError(f"module 'mrisr' has no attribute {name!r}")
