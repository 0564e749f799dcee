"""``mrisr report``: the study's tables and figures, with statistics, in one folder.

:func:`build_report` evaluates methods (through :mod:`mrisr.evaluation`, so
numbers equal ``mrisr evaluate``'s, with an on-disk cache), attaches bootstrap
confidence intervals and paired Wilcoxon tests (:mod:`mrisr.report.stats`),
draws qualitative figures and learning curves (:mod:`mrisr.report.figures`)
and writes ``index.md``, ``index.html``, CSVs and PNGs.
"""

from mrisr.report.build import Report, ReportOptions, build_report
from mrisr.report.stats import bootstrap_ci, method_statistics, wilcoxon_p

__all__ = [
    "Report",
    "ReportOptions",
    "bootstrap_ci",
    "build_report",
    "method_statistics",
    "wilcoxon_p",
]
