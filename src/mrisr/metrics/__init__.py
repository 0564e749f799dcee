"""Image-quality metrics: PSNR and SSIM (two window conventions).

All functions take float images with an explicit ``data_range`` (1.0 for our
[0, 1] arrays). Training validation, ``mrisr test``, ``mrisr evaluate`` and
``mrisr report`` all call these.
"""

from mrisr.metrics.core import (
    SSIM_WINDOWS,
    foreground_mask,
    image_metrics,
    psnr,
    shave_border,
    ssim,
    summarise,
)

__all__ = [
    "SSIM_WINDOWS",
    "foreground_mask",
    "image_metrics",
    "psnr",
    "shave_border",
    "ssim",
    "summarise",
]
