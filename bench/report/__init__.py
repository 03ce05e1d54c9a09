"""`bench report`: a self-contained static site (overview per task group, a page per task, the analysis, provenance)
built from the result rows; see bench.report.site.build_report."""
