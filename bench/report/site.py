"""`bench report`: build the static site in a temp folder beside --out, then swap it in (readers see the old site or
the new one, never half of one). An existing --out is replaced only when it holds an earlier report."""
import os
import shutil
import tempfile
from pathlib import Path

from backbones.core.errors import BenchError
from bench.report import markup, model, pages, provenance

MARKER = ".transfer-bench-report"  # marks a folder as a report this command may replace


def check_out(out: Path):
    """Refuse an --out that is a file, or a non-empty folder that is not an earlier report."""
    if out.exists() and not out.is_dir():
        raise BenchError(f"--out {out} is a file; pass a folder for the report")
    if out.is_dir() and any(out.iterdir()) and not (out / MARKER).exists():
        raise BenchError(f"--out {out} is a non-empty folder that holds no earlier report; pass a new or empty "
                         "folder")


def publish(tmp: Path, out: Path):
    """Move the finished site `tmp` onto `out`, replacing an earlier report there."""
    if out.exists():
        old = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.old-"))
        os.replace(out, old / "site")
        os.replace(tmp, out)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(tmp, out)


def _copy_rows(data: model.ReportData, site: Path):
    for row in data.rows:
        path = model.row_file(data.results, row)
        if path:
            dest = site / "rows" / pages.slug(row.task) / path.name
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, dest)


def write_text(path: Path, text: str):
    """Write one file of the site (the folder is swapped in whole, so single files need no temp copies)."""
    path.write_text(text, encoding="utf-8")


def write_site(data: model.ReportData, site: Path, argv=None, analysis=None):
    """Every page of the report into the folder `site`."""
    img_dir = site / "img"
    img_dir.mkdir(parents=True, exist_ok=True)
    nav = [("index.html", "Overview")] + [(pages.task_href(t), t) for t in data.tasks()]
    if analysis:
        nav.append(("analysis.html", "Analysis"))
    foot = provenance.footer(data.rows, data.results, argv)
    write_text(site / "index.html", markup.page("transfer-bench report", nav, "index.html",
                                                pages.overview(data, img_dir), foot))
    for task in data.tasks():
        rows = [r for r in data.rows if r.task == task]
        href = pages.task_href(task)
        write_text(site / href, markup.page(f"{task}", nav, href, pages.task_page(data, task, img_dir),
                                            provenance.footer(rows, data.results, argv)))
    if analysis:
        from bench.report.analysis_page import analysis_page

        body = analysis_page(Path(analysis), site / "analysis")
        write_text(site / "analysis.html", markup.page("Representation analysis", nav, "analysis.html", body, foot))
    _copy_rows(data, site)
    write_text(site / MARKER, "written by `bench report`; the next `bench report --out` here replaces this folder\n")


def build_report(results: Path, out: Path, filters=None, metric=None, analysis=None, argv=None, warn=print) -> Path:
    """Build the report of the rows under `results` into `out`; returns the path of its index.html."""
    results, out = Path(results).expanduser(), Path(out).expanduser().resolve()
    if not results.is_dir():
        raise BenchError(f"--results {results}: no such folder; run `bench run` (or `bench demo`) first, or pass "
                         "--results DIR")
    if analysis:
        from bench.report.analysis_page import read_analysis

        read_analysis(Path(analysis))  # fail before any work
    check_out(out)
    data = model.collect(results, filters=filters, metric=metric, warn=warn)
    if not data.rows:
        which = f" matching {' '.join(filters)}" if filters else ""
        raise BenchError(f"no result rows under {results}{which}; run `bench run` first or check --results / "
                         "--filter")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.tmp-"))
    try:
        os.chmod(tmp, 0o755)
        write_site(data, tmp, argv=argv, analysis=analysis)
        publish(tmp, out)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return out / "index.html"
