"""Run SR methods over a paired split and collect per-image metrics."""

from mrisr.evaluation.runner import (
    PER_IMAGE_COLUMNS,
    EvalResult,
    build_methods,
    csv_text,
    evaluate_images,
    evaluate_pairs,
    evaluate_split,
    format_table,
    per_image_csv,
    results_meta,
    write_results,
)

__all__ = [
    "PER_IMAGE_COLUMNS",
    "EvalResult",
    "build_methods",
    "csv_text",
    "evaluate_images",
    "evaluate_pairs",
    "evaluate_split",
    "format_table",
    "per_image_csv",
    "results_meta",
    "write_results",
]
