"""LIIF: local implicit image function decoder over a convolutional encoder.

For a query coordinate, the decoder takes the 3x3-unfolded latent code of each
of the 4 nearest latent pixels, the query's offset from that latent (in latent
pixels) and the output cell size, predicts a value with an MLP, and blends the
4 predictions with area weights (local ensemble).

Implementation notes (ours): the MLP's first layer is linear in the unfolded
code, so its feature part is evaluated once per *latent* pixel as a 3x3
convolution and gathered per query, instead of once per query and ensemble
member; the 4 ensemble members are decoded in one batched MLP call. Optionally
the network predicts a residual over bicubic interpolation of the input.

References
----------
Y. Chen, S. Liu, X. Wang, "Learning Continuous Image Representation with Local
Implicit Image Function", CVPR 2021.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

from mrisr.models.attention import SMAM
from mrisr.models.coords import make_cell, pixel_centres
from mrisr.models.edges import EdgeMap, InputFusion
from mrisr.models.receptive import receptive_radius
from mrisr.models.registry import MODELS, make_model
from mrisr.tiling import core_spans

_SHIFTS = ((-1, -1), (-1, 1), (1, -1), (1, 1))
DEFAULT_MLP_HIDDEN = (128, 128, 128, 128)
DEFAULT_TILE = 512
#: ensemble members weighted below this are not decoded (see :meth:`LIIF.decode`)
SKIP_WEIGHT = 1e-6


class MLP(nn.Module):
    """Linear-ReLU stack: ``in_dim -> hidden... -> out_dim``."""

    def __init__(self, in_dim: int, out_dim: int, hidden: list[int]) -> None:
        super().__init__()
        dims = [in_dim, *hidden]
        layers: list[nn.Module] = []
        for a, b in zip(dims[:-1], dims[1:], strict=True):
            layers += [nn.Linear(a, b), nn.ReLU(inplace=True)]
        layers.append(nn.Linear(dims[-1], out_dim))
        self.layers = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers(x)


@MODELS.register("liif")
class LIIF(nn.Module):
    """Arbitrary-scale SR: encoder + local implicit decoder (+ SMAM, + EEM).

    Parameters
    ----------
    encoder : dict
        Encoder spec, e.g. ``{"name": "edsr-baseline", "args": {}}``.
    mlp_hidden : list of int, default [128, 128, 128, 128]
        Hidden widths of the decoder MLP (the study: 4 x 128 or 4 x 256).
    in_channels : int, default 1
        Image channels.
    residual : bool, default True
        Predict a residual over bicubic interpolation of the input.
    smam : str or None, default None
        Where SMAM sits: ``None`` (off), ``"input"`` (on the image, fused before
        the encoder) or ``"features"`` (gating the encoder output).
    smam_hidden : int, default 16
        Channels inside each SMAM head.
    eem : str or None, default None
        Edge map kind for EEM: ``None`` (off), ``"sobel"``, ``"log"`` or ``"learned"``.
    query_chunk : int, default 8192
        Queries decoded at once at inference: bounds memory, and chunks of a few
        thousand keep intermediates in reused heap memory (measured fastest on CPU).
    tile : int, default 512
        Latent (LR) pixels per side of the tiles a larger input is encoded in at
        inference (:meth:`upscale`); inputs up to this size are one tile.

    Shapes
    ------
    ``forward(lr (B, C, h, w), coord (B, Q, 2), cell (B, Q, 2)) -> (B, Q, C)``,
    values in the units of ``lr`` (the model normalises internally).
    """

    def __init__(
        self,
        encoder: dict | None = None,
        mlp_hidden: list[int] | None = None,
        in_channels: int = 1,
        residual: bool = True,
        smam: str | None = None,
        smam_hidden: int = 16,
        eem: str | None = None,
        query_chunk: int = 8192,
        tile: int = DEFAULT_TILE,
    ) -> None:
        super().__init__()
        enc_spec = encoder or {"name": "edsr-baseline", "args": {}}
        enc_spec = {"name": enc_spec["name"], "args": {**(enc_spec.get("args") or {}), "in_channels": in_channels}}
        if smam not in (None, "input", "features"):
            raise ValueError(f"smam must be None, 'input' or 'features', got {smam!r}")
        self.in_channels, self.residual, self.query_chunk = in_channels, residual, query_chunk
        self.tile = int(tile)
        self.encoder = make_model(enc_spec)
        c = self.encoder.out_dim
        edge = EdgeMap(eem) if eem else None
        att_in = SMAM(in_channels, smam_hidden) if smam == "input" else None
        self.fusion = InputFusion(edge, att_in) if (edge or att_in) else None
        self.feature_attention = SMAM(c, smam_hidden) if smam == "features" else None
        self.feat_dim = c
        self.imnet = MLP(c * 9 + 4, in_channels, list(mlp_hidden or DEFAULT_MLP_HIDDEN))
        if residual:  # start exactly at bicubic: the residual head begins at zero
            nn.init.zeros_(self.imnet.layers[-1].weight)
            nn.init.zeros_(self.imnet.layers[-1].bias)

    # ------------------------------------------------------------------ encoding
    def encode(self, lr: torch.Tensor) -> torch.Tensor:
        """Latent projection: the MLP's first layer applied to the unfolded code, (B, h, w, H1)."""
        x = (lr - 0.5) / 0.5
        if self.fusion is not None:
            x = self.fusion(x)
        feat = self.encoder(x)
        if self.feature_attention is not None:
            feat = self.feature_attention(feat)
        first = self.imnet.layers[0]
        c = self.feat_dim
        # LIIF unfolds 3x3 neighbourhoods (channel-major: index c*9 + k) with zero padding,
        # which followed by a linear layer is exactly a 3x3 convolution.
        w = first.weight[:, : c * 9].reshape(-1, c, 3, 3)
        # (B, h, w, H1): one contiguous row per latent pixel, ready for gathering
        return F.conv2d(feat, w, first.bias, padding=1).permute(0, 2, 3, 1).contiguous()

    # ------------------------------------------------------------------ decoding
    @staticmethod
    def _neighbours(coord: torch.Tensor, grid: LatentGrid, size: torch.Tensor):
        """The 4 ensemble members of each query: (rows (B, 4, Q) of the tile's latent, offsets (B, 4, Q, 2), areas
        (B, 4, Q)), members in the order of ``_SHIFTS``, all four in one set of tensor operations (with the
        whole-row writes of ``_render_tile``, a 128->256 rendering over a one-block encoder dispatched 859 operations
        instead of 2,483 with a loop over the members; on a GPU each is a kernel launch). ``size``: ``grid.size`` as
        a tensor like ``coord``.

        Indices are found on the whole image's latent grid, then made relative
        to the tile's origin, so that a tile's queries see exactly what they
        would see in the whole image.
        """
        h, w = grid.size
        shifts = coord.new_tensor(_SHIFTS) / size + 1e-6  # half a latent pixel each way in [-1, 1] units
        c = (coord.unsqueeze(1) + shifts[:, None, :]).clamp_(-1 + 1e-6, 1 - 1e-6)
        idx = ((c + 1) / 2 * size).floor_().long()
        idx[..., 0].clamp_(0, h - 1)
        idx[..., 1].clamp_(0, w - 1)
        centre = (idx.to(coord.dtype) * 2 + 1) / size - 1
        rel = (coord.unsqueeze(1) - centre) * size
        area = (rel[..., 0] * rel[..., 1]).abs_() + 1e-9
        oy, ox = grid.origin
        return (idx[..., 0] - oy) * grid.width + (idx[..., 1] - ox), rel, area

    def decode(self, proj: torch.Tensor, coord: torch.Tensor, cell: torch.Tensor,
               grid: LatentGrid | None = None) -> torch.Tensor:
        """Decode queries from a latent projection: (B, Q, 2) coords -> (B, Q, C) values (residual part).

        ``grid`` places ``proj`` (a tile) in the whole image's latent grid; default: ``proj`` is the whole grid.
        """
        b, h, w, hidden = proj.shape
        grid = grid or LatentGrid((h, w), (0, 0), w)
        q = coord.shape[1]
        size = coord.new_tensor(grid.size)
        rows, rel, areas = self._neighbours(coord, grid, size)
        flat = proj.view(b * h * w, hidden)  # one row per latent pixel
        offset = (torch.arange(b, device=coord.device) * (h * w)).view(b, 1, 1)
        idx = (rows + offset).reshape(-1)  # rows of ``flat``, member-major within each image
        rel_cell = (cell * size).unsqueeze(1).expand(-1, 4, -1, -1)
        tail = torch.cat([rel, rel_cell], dim=-1).reshape(-1, 4)
        # Each prediction is weighted by the area of the diagonally opposite sub-rectangle.
        weights = areas.flip(1) / areas.sum(1, keepdim=True)
        keep = weights.reshape(-1) >= SKIP_WEIGHT
        if bool(keep.all()):
            pred = self._mlp(flat, idx, tail).view(b, 4, q, -1)
            return (pred * weights.unsqueeze(-1)).sum(1)
        # Queries on a latent row or column (an axis that is not upscaled: through-plane planes) give two of
        # their four neighbours a weight of zero; only the members that count are decoded.
        kept = keep.nonzero().squeeze(1)
        pred = self._mlp(flat, idx.index_select(0, kept), tail.index_select(0, kept))
        pred = pred * weights.reshape(-1, 1).index_select(0, kept).to(pred.dtype)
        n_b, n_m = kept // (4 * q), kept % q  # (batch, query) of each kept member
        out = pred.new_zeros(b * q, pred.shape[1])
        return out.index_add_(0, n_b * q + n_m, pred).view(b, q, -1)

    def _mlp(self, flat: torch.Tensor, rows: torch.Tensor, tail: torch.Tensor) -> torch.Tensor:
        """The decoder MLP on latent rows ``rows`` of ``flat`` with their (rel y, rel x, cell y, cell x) ``tail``."""
        first = self.imnet.layers[0]
        w_tail = first.weight[:, self.feat_dim * 9 :]  # (H1, 4): rel y, rel x, cell y, cell x
        z = flat.index_select(0, rows)
        z.addmm_(tail.to(z.dtype), w_tail.t().to(z.dtype))  # dtypes differ under CPU bf16 autocast
        return self.imnet.layers[2:](z.relu_())

    def base(self, lr: torch.Tensor, coord: torch.Tensor) -> torch.Tensor:
        """Bicubic interpolation of ``lr`` at ``coord``: (B, Q, C)."""
        grid = coord.flip(-1).unsqueeze(1)  # grid_sample wants (x, y)
        v = F.grid_sample(lr, grid, mode="bicubic", padding_mode="border", align_corners=False)
        return v[:, :, 0, :].transpose(1, 2)

    def query(self, lr: torch.Tensor, proj: torch.Tensor, coord: torch.Tensor, cell: torch.Tensor,
              grid: LatentGrid | None = None) -> torch.Tensor:
        """Values at ``coord`` (B, Q, C) in the units of ``lr`` (the whole image; ``proj`` may be a tile, see ``grid``)."""
        out = self.decode(proj, coord, cell, grid) * 0.5
        if self.residual:
            out = out + self.base(lr, coord)
        else:
            out = out + 0.5
        return out

    def forward(self, lr: torch.Tensor, coord: torch.Tensor, cell: torch.Tensor) -> torch.Tensor:
        return self.query(lr, self.encode(lr), coord, cell)

    def receptive_radius(self) -> int:
        """LR pixels, in each direction, that one value of :meth:`encode` depends on."""
        radius = receptive_radius(self.encoder) + 1  # + the first MLP layer's 3x3 convolution
        if self.fusion is not None:
            radius += receptive_radius(self.fusion)
        if self.feature_attention is not None:
            radius += receptive_radius(self.feature_attention)
        return radius

    @torch.no_grad()
    def upscale(self, lr: torch.Tensor, out_shape: tuple[int, int], *, chunk: int | None = None,
                tile: int | None = None) -> torch.Tensor:
        """Render a full (B, C, H, W) output grid: the single entry point of LIIF inference.

        The input is encoded in tiles of ``tile`` latent pixels per side (default
        the model's), each extended by the receptive radius plus the one latent
        pixel a query's neighbours reach beyond its tile, so every tile gives
        exactly the whole image's latents where its queries look; each tile's
        queries are decoded ``chunk`` at a time (default the model's
        ``query_chunk``). Memory is then bounded by the tile and the chunk; only
        the output grows with the image. An input no larger than ``tile`` is one
        tile, computed exactly as without tiling.
        """
        b, _, h, w = lr.shape
        step = int(self.query_chunk if chunk is None else chunk)
        size = int(self.tile if tile is None else tile)
        if step < 1 or size < 1:
            raise ValueError(f"chunk and tile must be >= 1, got chunk={chunk!r}, tile={tile!r}")
        out = torch.empty(b, self.in_channels, *out_shape, device=lr.device, dtype=lr.dtype)
        ys = pixel_centres(out_shape[0], device=lr.device, dtype=lr.dtype)
        xs = pixel_centres(out_shape[1], device=lr.device, dtype=lr.dtype)
        halo = self.receptive_radius() + 1  # + the neighbour one latent pixel beyond the tile
        for y0, y1 in core_spans(h, size):
            for x0, x1 in core_spans(w, size):
                ya, xa = max(0, y0 - halo), max(0, x0 - halo)
                proj = self.encode(lr[:, :, ya : min(h, y1 + halo), xa : min(w, x1 + halo)])
                grid = LatentGrid((h, w), (ya, xa), proj.shape[2])
                rows = (_owned(y0, h, out_shape[0]), _owned(y1, h, out_shape[0]))
                cols = (_owned(x0, w, out_shape[1]), _owned(x1, w, out_shape[1]))
                self._render_tile(lr, proj, grid, out, (ys, xs), rows, cols, step)
        return out

    def _render_tile(self, lr, proj, grid, out, centres, rows, cols, step) -> None:
        """Decode the output pixels ``rows x cols`` (a tile's) into ``out``, ``step`` queries at a time: whole rows
        where one fits in ``step`` (each chunk is then written with one copy), else pieces of rows."""
        (i0, i1), (j0, j1) = rows, cols
        ys, xs = centres
        width, n = j1 - j0, (i1 - i0) * (j1 - j0)
        b = lr.shape[0]
        if 0 < width <= step:
            step -= step % width
        for k in range(0, n, step):
            f = torch.arange(k, min(k + step, n), device=lr.device)
            coord = torch.stack([ys[i0 + f // width], xs[j0 + f % width]], dim=-1).expand(b, -1, -1)
            cell = make_cell(out.shape[-2:], coord.shape[1], device=lr.device, dtype=lr.dtype).expand(b, -1, -1)
            _put_flat(out, self.query(lr, proj, coord, cell, grid).transpose(1, 2), (i0, j0), width, k)


def prefer_layout(model: nn.Module, device: torch.device | str) -> nn.Module:
    """Put ``model``'s weights in the memory layout its convolutions run fastest in on ``device``, in place.

    Channels-last (NHWC) on a CPU, where oneDNN's 3x3 convolutions of the encoder ran 1.3 to 1.5 times
    faster than in the default layout (``benchmarks/liif_speed.py``); unchanged elsewhere (not measured).
    Values agree to float32 rounding (about 1e-5 in the latent projection).
    """
    if torch.device(device).type == "cpu":
        model.to(memory_format=torch.channels_last)
    return model


class LatentGrid(NamedTuple):
    """Where a latent tile sits: the whole image's latent ``size`` (h, w), the tile's ``origin`` and ``width``."""

    size: tuple[int, int]
    origin: tuple[int, int]
    width: int


def _owned(edge: int, n_lr: int, n_out: int) -> int:
    """First output pixel whose centre lies at or after latent position ``edge`` (of ``n_lr``).

    Output pixel ``i`` has its centre at latent position ``(i + 0.5) n_lr / n_out``; exact integer arithmetic.
    """
    return max(0, -(-(2 * edge * n_out - n_lr) // (2 * n_lr)))


def _put_flat(out: torch.Tensor, values: torch.Tensor, start: tuple[int, int], width: int, k: int) -> None:
    """Write (B, C, q) ``values``, queries ``k..k+q`` of a row-major block ``width`` wide at ``start``, into ``out``."""
    i0, j0 = start
    pos, q = 0, values.shape[-1]
    if k % width == 0 and q % width == 0:  # whole rows
        r = k // width
        out[:, :, i0 + r : i0 + r + q // width, j0 : j0 + width] = values.unflatten(-1, (q // width, width))
        return
    while pos < q:
        r, c = divmod(k + pos, width)
        n = min(width - c, q - pos)
        out[:, :, i0 + r, j0 + c : j0 + c + n] = values[:, :, pos : pos + n]
        pos += n


def widen_spec_from(narrow: dict, wide: dict) -> bool:
    """Whether ``wide`` is ``narrow`` with an equally deep, nowhere narrower LIIF MLP (and otherwise equal)."""
    if narrow.get("name") != "liif" or wide.get("name") != "liif":
        return False
    a, b = dict(narrow.get("args", {})), dict(wide.get("args", {}))
    ha = list(a.pop("mlp_hidden", None) or DEFAULT_MLP_HIDDEN)
    hb = list(b.pop("mlp_hidden", None) or DEFAULT_MLP_HIDDEN)
    return a == b and len(ha) == len(hb) and all(x <= y for x, y in zip(ha, hb, strict=True))


@torch.no_grad()
def widen_into(wide: LIIF, narrow: LIIF) -> None:
    """Copy ``narrow``'s weights into ``wide`` so that both compute the same function.

    Everything outside the MLP is copied as is. Each MLP layer's old block is
    copied; the new hidden units keep ``wide``'s own random incoming weights,
    and their outgoing weights into the old units and the output are zeroed, so
    the new units start silent (function-preserving widening, as in Net2Net's
    random-padding variant) and receive gradients from the first step.
    """
    small = narrow.state_dict()
    for name, p in wide.state_dict().items():
        q = small[name]
        if not name.startswith("imnet."):
            p.copy_(q)
            continue
        if p.dim() == 1:  # bias: old units keep theirs, new units keep their random ones
            p[: q.shape[0]].copy_(q)
            continue
        o, i = q.shape
        p[:o, :i].copy_(q)
        p[:o, i:].zero_()  # old units (and the output) ignore the new inputs
