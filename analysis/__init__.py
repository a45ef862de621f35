"""The aggregator: the study's tables, figures and HTML report from the Parquet result store alone.

Imports only results_schema, pandas, numpy, scipy, matplotlib and scikit-learn (never JAX), so an analyst can
rebuild every item on a laptop from a copied store.
"""

from analysis.report import ReportFigure, ReportSummary, build_report

__all__ = ["ReportFigure", "ReportSummary", "build_report"]
