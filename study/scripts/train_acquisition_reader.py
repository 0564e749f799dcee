"""Train the acquisition reader (``mrisr.data.acquisition``) that ``liif-blind``'s ``acquisition: auto`` uses.

Draws ``--draws`` degraded LR images per IXI *train* image (the ``--holdout`` images ``liif-blind``
held out are left out) and labels each with one of ``mrisr.data.acquisition.CLASSES``:

* 20 % the study's pipeline ``gaussian:1+quant:8,floor`` at 2x or 4x (a third of them after a
  contrast change of the ``blind-v1`` prior: ``liif-x2`` beats ``liif-blind`` there too);
* 10 % near misses of it, labelled ``resize``: another sigma (0.6-2 HR px) and/or Gaussian or
  Rician noise (0.002-0.04), 8-bit floor or round;
* 15 % a plain k-space truncation with the prior's contrast, noise and storage;
* the rest a ``blind-v1`` draw (its own mix of resizes, blurs, windowed and plain k-space cuts).

So that the reader keys on the acquisition rather than on how IXI T2 slices look, the HR image of
a draw is varied first: half the time zoomed by 0.6-1.5 (cubic spline, centre crop or zero pad back
to its size: other spectral slopes), and for about one draw in three replaced by a synthetic slice (random
piecewise-constant regions in a soft-edged ellipse, textured with noise of spectrum 1/f^b, b in
0.5-2.5; see :func:`synthetic_slice`). Three quarters of the draws are at 2x or 4x, the rest at a scale of the prior's grid (1.5-4; the
study's pipeline is only a class at 2x and 4x). Then it fits an MLP (48 -> 64 -> 64 -> 4) with
AdamW, stores the prior odds of ``kspace-windowed`` as ``--windowed-weight`` times those of training
(0.25, chosen on the report's last table: a strong Gaussian blur reads much like a windowed cut), and
measures it on the 16 images of ``mrisr families --holdout 10`` (val + held-out train)
under the families of the table plus a few more and 10 ``blind-v1`` draws per image and scale.

    python study/scripts/train_acquisition_reader.py --data ../shared/data/ixi-t2-midslices \
        --out src/mrisr/weights/acquisition_reader.safetensors --report study/models/acquisition_reader.eval.md
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np
import torch

from mrisr.data.acquisition import CLASSES, FEATURES, AcquisitionReader, acquisition_features
from mrisr.data.blind import PRIORS, BlindPrior
from mrisr.data.datasets import holdout_names, list_images
from mrisr.data.degrade import apply_same_grid, lr_shape, parse_degradation, parse_same_grid
from mrisr.data.io import read_image
from mrisr.report.families import default_families, family_images

STUDY = "gaussian:1+quant:8,floor"
EXTRA_FAMILIES = {"k-space, Hann window": "kspace:window=hann+quant:8", "Lanczos resize": "lanczos+quant:8",
                  "area average": "area+quant:8", "study + Rician 0.005": "gaussian:1+rician:0.005+quant:8,floor"}


def label(acquisition: str, scale: float) -> int:
    """The class index of an acquisition spec at ``scale``."""
    head = acquisition.split("+")[0]
    if head.startswith("kspace"):
        plain = "window" not in head.replace("window=none", "") and "pf=" not in head
        return CLASSES.index("kspace" if plain else "kspace-windowed")
    study = acquisition == STUDY or (acquisition == "gaussian+quant:8,floor" and scale == 2.0)
    return CLASSES.index("study" if study and scale in (2.0, 4.0) else "resize")


def draw(prior: BlindPrior, rng: np.random.Generator, j: int) -> tuple[float, str, str]:
    """(scale, contrast, acquisition) of one training draw (see the module docstring)."""
    scale = prior.draw_scale(rng) if rng.random() < 0.25 else (2.0, 4.0)[j % 2]
    u = rng.random()
    if u < 0.2 and scale not in (2.0, 4.0):
        u = 0.3 + 0.7 * rng.random()
    if u < 0.2:
        return scale, (prior.draw(rng, scale).contrast if rng.random() < 0.3 else ""), STUDY
    if u < 0.3:
        sigma = rng.uniform(0.6, 2.0) if rng.random() < 0.5 else 1.0
        noise = ""
        if sigma == 1.0 or rng.random() < 0.5:
            noise = f"+{('noise', 'rician')[int(rng.integers(2))]}:{np.exp(rng.uniform(np.log(0.002), np.log(0.04))):.4f}"
        return scale, "", f"gaussian:{sigma:.3f}{noise}+quant:8,{('floor', 'round')[int(rng.integers(2))]}"
    d = prior.draw(rng, scale)
    if u < 0.45:  # the draw's noise and storage after a plain k-space cut
        return scale, d.contrast, "+".join(["kspace"] + d.acquisition.split("+")[1:])
    return scale, d.contrast, d.acquisition


def synthetic_slice(shape: tuple[int, int], rng: np.random.Generator, flat_share: float = 0.0,
                    smooth_share: float = 0.0) -> np.ndarray:
    """A random stand-in for a slice of another kind of image: regions of constant intensity, textured (untextured
    with probability ``flat_share``), in a soft-edged ellipse; with probability ``smooth_share`` instead smoothed
    (Gaussian, sigma 2-10 px) inside a hard-edged one, like a phantom."""
    h, w = shape
    y, x = np.mgrid[0:h, 0:w]
    y, x = (y + 0.5) / h * 2 - 1, (x + 0.5) / w * 2 - 1
    cy, cx, ry, rx = *rng.uniform(-0.1, 0.1, 2), *rng.uniform(0.6, 0.95, 2)
    r = np.hypot((y - cy) / ry, (x - cx) / rx)
    mask = np.clip((1 - r) * rng.uniform(10, 60), 0, 1)
    seeds = rng.uniform(-1, 1, (int(rng.integers(2, 30)), 2))
    region = np.argmin((y[..., None] - seeds[:, 0]) ** 2 + (x[..., None] - seeds[:, 1]) ** 2, axis=-1)
    img = rng.uniform(0.1, 1.0, len(seeds))[region]
    fy, fx = np.meshgrid(np.fft.fftfreq(h), np.fft.fftfreq(w), indexing="ij")
    tex = np.real(np.fft.ifft2(np.fft.fft2(rng.standard_normal(shape))
                               / np.maximum(np.hypot(fy, fx), 1 / max(h, w)) ** rng.uniform(0.5, 2.5)))
    amplitude = 0.0 if flat_share and rng.random() < flat_share else rng.uniform(0.05, 0.6)
    img = img * (1 + amplitude * tex / tex.std())
    if smooth_share and rng.random() < smooth_share:
        from scipy.ndimage import gaussian_filter

        img = gaussian_filter(img, rng.uniform(2, 10)) * (r <= 1)
    else:
        img = img * mask
    return np.clip(img / max(img.max(), 1e-6), 0, 1)


def zoomed(hr: np.ndarray, z: float) -> np.ndarray:
    """``hr`` zoomed by ``z`` about its centre (cubic spline), cut or zero-padded back to its shape."""
    from scipy.ndimage import zoom

    big = np.clip(zoom(hr, z, order=3, prefilter=True, grid_mode=True, mode="grid-constant"), 0, 1)
    out = np.zeros_like(hr)
    (h, w), (bh, bw) = hr.shape, big.shape
    sy, sx = max((bh - h) // 2, 0), max((bw - w) // 2, 0)
    dy, dx = max((h - bh) // 2, 0), max((w - bw) // 2, 0)
    ch, cw = min(h, bh), min(w, bw)
    out[dy:dy + ch, dx:dx + cw] = big[sy:sy + ch, sx:sx + cw]
    return out


def brain_mask(hr: np.ndarray, erode: int) -> np.ndarray:
    """A crude hard-edged brain mask of an IXI slice: the head above 15 % of the maximum, holes filled, eroded by
    ``erode`` pixels (on a 256 x 256 slice about 12 take off the scalp and skull), its largest component."""
    from scipy import ndimage

    head = ndimage.binary_fill_holes(hr > 0.15 * hr.max())
    brain = ndimage.binary_erosion(head, iterations=erode)
    labels, n = ndimage.label(brain)
    if n == 0:
        return head
    sizes = ndimage.sum(brain, labels, range(1, n + 1))
    return ndimage.binary_fill_holes(labels == 1 + int(np.argmax(sizes)))


def hr_variant(hr: np.ndarray, rng: np.random.Generator, flat_share: float = 0.0,
               masked_share: float = 0.0, smooth_share: float = 0.0, blur_share: float = 0.0) -> np.ndarray:
    """The HR image of one draw: a synthetic slice (35 %), else ``hr`` (first cut to a hard-edged brain mask with
    probability ``masked_share``, as a skull-stripped image is; then smoothed as ``blind-v2`` smooths a target,
    Gaussian sigma log-uniform 0.3-1.2 px, with probability ``blur_share``: a smoother object) zoomed by 0.6-1.5
    (50 %) or as it is."""
    if rng.random() < 0.35:
        return synthetic_slice(hr.shape, rng, flat_share, smooth_share)
    if masked_share and rng.random() < masked_share:
        hr = np.where(brain_mask(hr, int(rng.integers(6, 19))), hr, 0.0)
    if blur_share and rng.random() < blur_share:
        lo, hi = PRIORS.get("blind-v2").smooth_range
        hr = np.clip(apply_same_grid(hr, parse_same_grid(f"smooth:{np.exp(rng.uniform(np.log(lo), np.log(hi)))}"),
                                     rng), 0, 1)
    if rng.random() < 0.5:
        return zoomed(hr, float(np.exp(rng.uniform(np.log(0.6), np.log(1.5)))))
    return hr


def lr_of(hr: np.ndarray, scale: float, contrast: str, acquisition: str, rng: np.random.Generator) -> np.ndarray:
    src = apply_same_grid(hr, parse_same_grid(contrast), rng) if contrast else hr
    return parse_degradation(acquisition)(src, lr_shape(hr.shape, scale), seed=rng)


def training_set(root: str, draws: int, holdout: int, seed: int, flat_share: float = 0.0,
                 masked_share: float = 0.0, smooth_share: float = 0.0, blur_share: float = 0.0,
                 blur_noise_free: bool = False) -> tuple[np.ndarray, np.ndarray]:
    prior = PRIORS.get("blind-v1")
    held = set(holdout_names(root, "train", holdout))
    files = [f for f in list_images(f"{root}/train") if f.name not in held]
    rng = np.random.default_rng(seed)
    X, y = [], []
    t0 = time.time()
    for k, path in enumerate(files):
        hr = read_image(path)
        for j in range(draws):
            scale, contrast, acq = draw(prior, rng, j)
            noisy = "noise:" in acq or "rician:" in acq
            blur = 0.0 if blur_noise_free and noisy else blur_share
            variant = hr_variant(hr, rng, flat_share, masked_share, smooth_share, blur)
            X.append(acquisition_features(lr_of(variant, scale, contrast, acq, rng), scale))
            y.append(label(acq, scale))
        if k % 100 == 0:
            print(f"data: {k}/{len(files)} images, {time.time() - t0:.0f} s", flush=True)
    return np.array(X, dtype=np.float32), np.array(y)


def fit(X: np.ndarray, y: np.ndarray, *, hidden: int, steps: int, seed: int,
        windowed_weight: float = 1.0) -> dict[str, np.ndarray]:
    torch.manual_seed(seed)
    mean, std = X.mean(0), X.std(0) + 1e-6
    net = torch.nn.Sequential(torch.nn.Linear(FEATURES, hidden), torch.nn.GELU(approximate="tanh"),
                              torch.nn.Linear(hidden, hidden), torch.nn.GELU(approximate="tanh"),
                              torch.nn.Linear(hidden, len(CLASSES)))
    opt = torch.optim.AdamW(net.parameters(), 3e-3, weight_decay=1e-3)
    xt, yt = torch.tensor((X - mean) / std), torch.tensor(y)
    for it in range(steps):
        idx = torch.randint(0, len(xt), (512,))
        loss = torch.nn.functional.cross_entropy(net(xt[idx]), yt[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
        if it == int(steps * 2 / 3):
            for g in opt.param_groups:
                g["lr"] = 3e-4
    with torch.no_grad():
        acc = float((net(xt).argmax(1) == yt).float().mean())
    print(f"train accuracy {acc:.3f}")
    layers = [m for m in net if isinstance(m, torch.nn.Linear)]
    log_prior = np.zeros(len(CLASSES))
    log_prior[CLASSES.index("kspace-windowed")] = np.log(windowed_weight)
    tensors = {"mean": mean, "std": std, "log_prior": log_prior}
    for i, layer in enumerate(layers):
        tensors[f"w{i}"] = layer.weight.detach().numpy()
        tensors[f"b{i}"] = layer.bias.detach().numpy()
    return {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in tensors.items()}


def _with_prior(reader: AcquisitionReader, windowed_weight: float) -> AcquisitionReader:
    log_prior = np.zeros(len(CLASSES))
    log_prior[CLASSES.index("kspace-windowed")] = np.log(windowed_weight)
    return AcquisitionReader({**reader.tensors, "log_prior": log_prior})


def evaluate(reader: AcquisitionReader, root: str, holdout: int) -> str:
    """Markdown: per scale and family, mean / min / max P(k-space) and P(study) over the images; then the
    same readings under other prior odds of a windowed cut (``--windowed-weight``)."""
    prior = PRIORS.get("blind-v1")
    pairs = family_images(root, "val", holdout)
    feats: dict[tuple[float, str], list] = {}
    for scale in (2.0, 4.0):
        fams = {**default_families(scale), **EXTRA_FAMILIES}
        rng = np.random.default_rng(123)
        for i, p in enumerate(pairs):
            hr = read_image(p.hr_path)
            for f, spec in fams.items():
                lr = parse_degradation(spec)(hr, lr_shape(hr.shape, scale), seed=np.random.default_rng([0, i]))
                feats.setdefault((scale, f), []).append(acquisition_features(lr, scale))
            for _ in range(10):
                d = prior.draw(rng, scale)
                key = (scale, "blind-v1: " + CLASSES[label(d.acquisition, scale)])
                feats.setdefault(key, []).append(acquisition_features(lr_of(hr, scale, d.contrast, d.acquisition, rng), scale))
    read = {k: reader.probabilities(np.array(v)) for k, v in feats.items()}
    lines = []
    for scale in (2.0, 4.0):
        lines += [f"**{scale:g}x** ({len(pairs)} images; `blind-v1`: 10 draws per image, by true class)", "",
                  "| family | P(k-space) mean | min | max | P(study) mean | min | max |", "|---|---|---|---|---|---|---|"]
        for (sc, f), ps in read.items():
            if sc == scale:
                k, st = ps[:, 1] + ps[:, 2], ps[:, 3]
                lines.append(f"| {f} ({len(ps)}) | {k.mean():.3f} | {k.min():.3f} | {k.max():.3f} | "
                             f"{st.mean():.3f} | {st.min():.3f} | {st.max():.3f} |")
        lines.append("")
    rows = [(4.0, "wider Gaussian"), (4.0, "k-space, Hann window"), (2.0, "blind-v1: kspace-windowed"),
            (4.0, "blind-v1: kspace-windowed"), (2.0, "blind-v1: resize"), (4.0, "blind-v1: resize")]
    weights = (1.0, 0.5, 0.25, 0.1)
    lines += ["Mean P(k-space) under other prior odds of a windowed k-space cut (x training's):", "",
              "| family | " + " | ".join(f"x {w:g}" for w in weights) + " |", "|---|" + "---|" * len(weights)]
    for scale, f in rows:
        cells = []
        for w in weights:
            ps = _with_prior(reader, w).probabilities(np.array(feats[(scale, f)]))
            cells.append(f"{(ps[:, 1] + ps[:, 2]).mean():.3f}")
        lines.append(f"| {scale:g}x {f} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True)
    ap.add_argument("--out", required=True, help="the reader's .safetensors")
    ap.add_argument("--report", help="write the evaluation table here (markdown)")
    ap.add_argument("--draws", type=int, default=24, help="LR images per train image (default 24)")
    ap.add_argument("--holdout", type=int, default=10)
    ap.add_argument("--hidden", type=int, default=64)
    ap.add_argument("--steps", type=int, default=3000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--flat-share", type=float, default=0.0,
                    help="share of the synthetic slices without texture (default 0: every one textured)")
    ap.add_argument("--masked-share", type=float, default=0.0,
                    help="share of the IXI draws cut to a hard-edged brain mask (default 0)")
    ap.add_argument("--smooth-share", type=float, default=0.0,
                    help="share of the synthetic slices smoothed inside a hard outline (default 0)")
    ap.add_argument("--blur-share", type=float, default=0.0,
                    help="share of the IXI draws smoothed first, as blind-v2 smooths a target (default 0)")
    ap.add_argument("--blur-noise-free", action="store_true",
                    help="smooth (--blur-share) only the draws without noise")
    ap.add_argument("--windowed-weight", type=float, default=0.25,
                    help="prior odds of a windowed k-space cut against training's (default 0.25)")
    args = ap.parse_args()
    from safetensors.numpy import save_file

    t0 = time.time()
    X, y = training_set(args.data, args.draws, args.holdout, args.seed, args.flat_share, args.masked_share,
                        args.smooth_share, args.blur_share, args.blur_noise_free)
    print("classes:", {c: int((y == i).sum()) for i, c in enumerate(CLASSES)})
    tensors = fit(X, y, hidden=args.hidden, steps=args.steps, seed=args.seed, windowed_weight=args.windowed_weight)
    save_file(tensors, args.out, metadata={"classes": ",".join(CLASSES), "features": str(FEATURES)})
    print(f"wrote {args.out} after {time.time() - t0:.0f} s")
    table = evaluate(AcquisitionReader(tensors), args.data, args.holdout)
    table = f"Made by: `python study/scripts/train_acquisition_reader.py {' '.join(sys.argv[1:])}`\n\n" + table
    print(table)
    if args.report:
        with open(args.report, "w", encoding="utf-8") as fh:
            fh.write(table + "\n")


if __name__ == "__main__":
    main()
