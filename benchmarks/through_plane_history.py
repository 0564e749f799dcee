"""Plot the through-plane speed of each release from the side-by-side records in ``benchmarks/results``.

Reads the JSON of each run of ``through_plane_speed.py`` listed in :data:`RECORDS` and draws, per case, the
seconds a volume took with each release (the median run where a record has several), with the 90 s target of
issue 27. The release before the first record is its reference (``d89736f``). The 0.6.0 run fell on a day the
machine ran about 2x slow (its reference took 193 s where it had taken 89 s), so it is drawn hollow.

    python benchmarks/through_plane_history.py --out docs/through_plane_speed.png
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
#: (release label, record, whether the machine was slow that day); the first record's reference is the start
RECORDS = [("0.5.0", "through_plane_speed", False), ("0.6.0", "through_plane_speed_bf16", True),
           ("0.7.0", "through_plane_speed_crop", False), ("0.8.0", "through_plane_speed_blocks8b", False),
           ("0.9.0", "through_plane_speed_queries", False)]
CASES = ["2 mm box", "4 mm box", "4 mm Gaussian", "6 mm box", "2.5 mm e2e"]
TARGET = 90.0


def history() -> tuple[list[str], dict[str, list[float]], list[bool]]:
    """Release labels, seconds per case and release, and which releases ran on a slow day."""
    labels, slow, seconds = ["0.4.0"], [False], {c: [] for c in CASES}
    for i, (label, name, was_slow) in enumerate(RECORDS):
        rows = json.loads((RESULTS / f"{name}.json").read_text())
        if i == 0:
            for r in rows:
                if r["version"].startswith("reference"):
                    seconds[r["case"]].append(r["total"])
        for r in rows:
            if r["version"] == "this checkout":
                seconds[r["case"]].append(r["total"])
        labels.append(label)
        slow.append(was_slow)
    return labels, seconds, slow


def main() -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True, help="the figure (.png)")
    args = ap.parse_args()
    labels, seconds, slow = history()
    fig, ax = plt.subplots(figsize=(7.5, 4.2), dpi=110)
    x = range(len(labels))
    for case, ys in seconds.items():
        line, = ax.plot(x, ys, marker="o", label=case)
        for xi, y, s in zip(x, ys, slow, strict=True):
            if s:
                ax.plot([xi], [y], marker="o", markerfacecolor="white", color=line.get_color())
    ax.axhline(TARGET, color="black", linestyle="--", linewidth=1)
    ax.text(len(labels) - 1, TARGET * 1.04, "target 90 s", ha="right", va="bottom", fontsize=8)
    ax.set_yscale("log")
    ax.set_yticks([60, 90, 150, 250, 450])
    ax.set_yticklabels(["60", "90", "150", "250", "450"])
    ax.yaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    ax.set_xticks(list(x), labels)
    ax.set_xlabel("release (hollow: measured on a day the machine ran about 2x slow)")
    ax.set_ylabel("seconds per volume, 2 CPU cores")
    ax.set_title("liif-selfsup on the MNI152 template, thickened and brought back")
    ax.legend(fontsize=8, ncol=2)
    ax.grid(True, which="major", alpha=0.3)
    fig.tight_layout()
    fig.savefig(args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
