"""Receptive radius of convolutional modules, from their architecture.

The receptive radius of a module is the number of input pixels, in each
direction, that one output pixel depends on: a 3x3 convolution has radius 1,
layers applied one after another add their radii, branches applied side by
side take the largest. Tiled inference needs it: a tile extended by the radius
on every side gives, at the tile's own pixels, exactly the whole image's values
(:meth:`mrisr.models.liif.LIIF.upscale`).
"""

from __future__ import annotations

from torch import nn

#: modules that act pixel by pixel (radius 0)
_POINTWISE = (nn.ReLU, nn.LeakyReLU, nn.PReLU, nn.GELU, nn.Sigmoid, nn.Tanh, nn.Identity)


def _conv_radius(conv: nn.Conv2d | nn.ConvTranspose2d) -> int:
    if any(s != 1 for s in conv.stride) or isinstance(conv.padding, str):
        raise TypeError(f"receptive radius: only stride-1 convolutions with numeric padding are supported, got {conv}")
    # output i sees inputs i - p .. i - p + d (k - 1) (convolution) or i + p - d (k - 1) .. i + p (transposed)
    return max(max(p, d * (k - 1) - p) for k, p, d in zip(conv.kernel_size, conv.padding, conv.dilation, strict=True))


def receptive_radius(module: nn.Module) -> int:
    """Input pixels, in each direction, that one output pixel of ``module`` depends on.

    Convolutions (stride 1) count their reach, ``nn.Sequential`` adds its layers'
    radii, pointwise layers count 0, and any other module must say its own radius
    with a ``receptive_radius()`` method (branches side by side: the largest).

    Raises
    ------
    TypeError
        For a module whose radius is not known (rather than a guess).

    Examples
    --------
    >>> receptive_radius(nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.Conv2d(4, 1, 5, padding=2)))
    3
    """
    own = getattr(module, "receptive_radius", None)
    if callable(own):
        return int(own())
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d)):
        return _conv_radius(module)
    if isinstance(module, nn.Sequential):
        return sum(receptive_radius(m) for m in module)
    if isinstance(module, _POINTWISE):
        return 0
    raise TypeError(f"receptive radius of {type(module).__name__} is not known: give it a receptive_radius() method")
