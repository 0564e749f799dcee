"""Memory bounds: tile grids and the refusal of an output that cannot fit."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from mrisr.cli.main import main
from mrisr.tiling import (
    OutputTooLarge,
    available_memory,
    check_output_fits,
    core_spans,
    tile_starts,
)


@pytest.mark.parametrize(("n", "tile"), [(1, 4), (10, 4), (512, 512), (513, 512), (2048, 512), (37, 6)])
def test_core_spans_cover_once_and_respect_the_tile(n, tile):
    spans = core_spans(n, tile)
    assert spans[0][0] == 0 and spans[-1][1] == n
    assert all(a[1] == b[0] for a, b in zip(spans[:-1], spans[1:], strict=True))
    assert all(0 < b - a <= tile for a, b in spans)
    assert len(spans) == -(-n // tile)


@pytest.mark.parametrize(("n", "tile", "overlap"), [(10, 4, 1), (100, 30, 10), (31, 31, 5), (64, 24, 12)])
def test_tile_starts_cover_with_the_overlap(n, tile, overlap):
    starts = tile_starts(n, tile, overlap)
    assert starts[0] == 0 and starts[-1] + min(tile, n) == n
    assert all(a + tile - b >= overlap for a, b in zip(starts[:-1], starts[1:], strict=True))


def test_output_that_cannot_fit_is_refused_with_its_size():
    with pytest.raises(OutputTooLarge, match=r"100x200 float32.*0\.0 GiB of memory is available"):
        check_output_fits((100, 200), available=10_000)
    check_output_fits((100, 200), available=10**9)  # fits: no error
    assert available_memory() is None or available_memory() > 0


def test_cli_refuses_an_impossible_output_before_working(tmp_path, capsys, monkeypatch):
    import mrisr.tiling

    monkeypatch.setattr(mrisr.tiling, "available_memory", lambda: 2**20)  # a machine with 1 MiB free
    src, out = tmp_path / "in.png", tmp_path / "out.png"
    Image.fromarray(np.full((8, 8), 100, dtype=np.uint8)).save(src)
    assert main(["upscale", str(src), "--size", "4000x3000", "--method", "bicubic", "-o", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "4000x3000" in err[0] and "0.1 GiB" in err[0]
    assert not out.exists()
