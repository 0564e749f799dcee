"""The eight flips and transposes of an image (the dihedral group of the square).

One transform serves the geometric self-ensemble (:class:`mrisr.models.method.LIIFMethod`), training
augmentation (:mod:`mrisr.train.data`) and the self-supervised batches of :mod:`mrisr.volume.selfsup`.
It acts on the last two axes of a NumPy array or a torch tensor: first the transpose (if any), then the
flips. Every element is a pure permutation of the pixels, so values are moved, never changed.

Examples
--------
>>> import numpy as np
>>> x = np.arange(6).reshape(2, 3)
>>> t = Dihedral(transpose=True, flip_rows=True)
>>> t.apply(x)
array([[2, 5],
       [1, 4],
       [0, 3]])
>>> bool((t.invert(t.apply(x)) == x).all())
True
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np


def _transpose(x: Any) -> Any:
    return x.swapaxes(-1, -2) if isinstance(x, np.ndarray) else x.transpose(-2, -1)


def _flip(x: Any, dims: tuple[int, ...]) -> Any:
    return np.flip(x, dims) if isinstance(x, np.ndarray) else x.flip(dims)


@dataclass(frozen=True)
class Dihedral:
    """One flip/transpose of the last two axes: transpose first (if set), then the flips.

    Attributes
    ----------
    transpose : bool
        Swap the last two axes.
    flip_rows : bool
        Reverse the row axis (``-2``), after the transpose.
    flip_cols : bool
        Reverse the column axis (``-1``), after the transpose.
    """

    transpose: bool = False
    flip_rows: bool = False
    flip_cols: bool = False

    @property
    def flips(self) -> tuple[int, ...]:
        """The flipped axes, ``()``, ``(-2,)``, ``(-1,)`` or ``(-2, -1)``."""
        return (-2,) * self.flip_rows + (-1,) * self.flip_cols

    def apply(self, x: Any) -> Any:
        """Transform an array or tensor (..., H, W); NumPy results may be views, torch flips copy."""
        x = _transpose(x) if self.transpose else x
        return _flip(x, self.flips) if self.flips else x

    def invert(self, y: Any) -> Any:
        """Undo :meth:`apply`: the flips, then the transpose."""
        y = _flip(y, self.flips) if self.flips else y
        return _transpose(y) if self.transpose else y

    def shape(self, shape: Sequence[int]) -> tuple[int, int]:
        """The (H, W) an image of ``shape`` (H, W) has after :meth:`apply`."""
        h, w = int(shape[0]), int(shape[1])
        return (w, h) if self.transpose else (h, w)

    def apply_queries(self, coord: Any, cell: Any) -> tuple[Any, Any]:
        """Move LIIF query coordinates and cell sizes with the image.

        Parameters
        ----------
        coord, cell : torch.Tensor
            (..., 2) ``(y, x)`` pixel-centre coordinates in [-1, 1] of the image and the
            cell sizes of their pixels.

        Returns
        -------
        coord, cell : torch.Tensor
            New tensors; a transpose swaps ``y`` and ``x``, a flip negates its coordinate.
        """
        if self.transpose:
            coord, cell = coord.flip(-1), cell.flip(-1)
        else:
            coord = coord.clone()
        for axis, flipped in ((0, self.flip_rows), (1, self.flip_cols)):
            if flipped:
                coord[..., axis] = -coord[..., axis]
        return coord, cell

    @classmethod
    def draw(cls, rng: Any) -> Dihedral:
        """A uniformly random element from three fair coins of ``rng`` (``rng.random() < 0.5`` each).

        The coins, in order, flip the rows, flip the columns and then transpose; the element with that
        effect is returned (flipping rows before a transpose flips columns after it).
        """
        rows, cols, transpose = rng.random() < 0.5, rng.random() < 0.5, rng.random() < 0.5
        if transpose:
            return cls(transpose=True, flip_rows=cols, flip_cols=rows)
        return cls(flip_rows=rows, flip_cols=cols)


#: All eight elements: identity first; transpose-free ones before the transposed, each flipped as
#: ``()``, ``(-1,)``, ``(-2,)``, ``(-2, -1)`` (the order of the self-ensemble's sum).
ALL: tuple[Dihedral, ...] = tuple(
    Dihedral(transpose=t, flip_rows=r, flip_cols=c)
    for t in (False, True)
    for r, c in ((False, False), (False, True), (True, False), (True, True))
)
