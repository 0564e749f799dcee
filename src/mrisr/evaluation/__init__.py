"""Run SR methods over a paired split and collect per-image metrics."""

from mrisr.evaluation.runner import (
    EvalResult,
    evaluate_images,
    evaluate_pairs,
    evaluate_split,
    format_table,
    write_results,
)

__all__ = ["EvalResult", "evaluate_images", "evaluate_pairs", "evaluate_split", "format_table", "write_results"]
