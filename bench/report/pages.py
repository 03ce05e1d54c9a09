"""The overview page (per task group: MIM - supervised deltas with CIs, the paper's deltas, every line's mean) and a
page per task (leaderboard, bar chart per dataset column, published numbers, rows with their audits, losses)."""
import math
import re

import pandas as pd

from bench import leaderboard as lb
from bench.report import charts, model
from bench.report.markup import Cell, esc, flagged, fmt, img, link, long, missing, num, section, table

CI_NOTE = ("Means over seeds \u00b1 half-width of the 95 % CI (Student t, n-1 dof; none for n = 1). \u0394 = the "
           "MIM line's mean minus its <code>pair_with</code> partner's; its CI is paired over seeds where both ran "
           "the same seeds, else \u221a(ci<sub>a</sub>\u00b2 + ci<sub>b</sub>\u00b2).")

UP, DOWN = "\u2191", "\u2193"


def slug(text: str) -> str:
    """`text` as a file-name part."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", str(text)).strip("_") or "x"


def task_href(task: str) -> str:
    """The file name of a task's page."""
    return f"task-{slug(task)}.html"


def _direction(higher: bool) -> str:
    return "higher is better" if higher else "lower is better"


def stats_table(stats: pd.DataFrame, with_task: bool) -> str:
    """Sortable table of (table line, column) records: mean, CI, n, delta vs the pair and its CI."""
    headers = (["Task"] if with_task else []) + ["Dataset", "Split / protocol / schedule", "Metric", "Backbone",
                                                 "Pretraining", "Mean", "\u00b1 95 % CI", "n", "\u0394 vs pair",
                                                 "\u0394 95 % CI"]
    rows = []
    for r in stats.itertuples():
        ci = Cell(f'<span title="{esc(r.delta_ci_method)}">{esc(fmt(r.delta_ci95, 3))}</span>',
                  "" if missing(r.delta_ci95) else r.delta_ci95, "num")
        rows.append(([Cell(link(task_href(r.task), r.task), r.task)] if with_task else []) + [
            r.dataset, f"{r.split} / {r.protocol} / {r.schedule}",
            Cell(f"{esc(r.metric)} {UP if r.higher_is_better else DOWN}", r.metric), r.backbone,
            r.pretraining, num(r.mean), num(r.ci95, 3), num(r.n), num(r.delta, 4, signed=True), ci])
    return table(headers, rows)


def _delta_items(stats, paper):
    items = []
    n_of = {(r.backbone, r.column): r.n for r in stats.itertuples()}
    for r in stats[stats["delta"].notna()].itertuples():
        ci = "" if missing(r.delta_ci95) else f" \u00b1 {r.delta_ci95:.2g}"
        sizes = f"n={r.n}/{n_of.get((r.pair_with, r.column), '?')}" + (", no CI" if not ci else "")
        items.append(dict(label=f"{r.backbone} \u2212 {r.pair_with}\n{r.split}/{r.protocol}/{r.schedule}",
                          delta=r.delta, ci95=r.delta_ci95, higher_is_better=r.higher_is_better, paper=False,
                          note=f"{r.delta:+.3g}{ci} ({sizes})", metric=r.metric))
    for r in paper.itertuples():
        items.append(dict(label=f"[paper] {r.backbone} \u2212 {r.pair_with}\n{r.split}/{r.protocol}/{r.schedule}",
                          delta=r.delta, ci95=math.nan, higher_is_better=r.higher_is_better, paper=True,
                          note=f"{r.delta:+.3g} (paper)", metric=r.metric))
    return items


def delta_panels(stats: pd.DataFrame, paper: pd.DataFrame) -> list:
    """(title, items) per (task, dataset) for charts.delta_chart: measured deltas first, then the paper's."""
    panels = []
    for task, dataset in sorted(set(zip(stats["task"], stats["dataset"])) | set(zip(paper["task"], paper["dataset"]))):
        items = _delta_items(stats[(stats["task"] == task) & (stats["dataset"] == dataset)],
                             paper[(paper["task"] == task) & (paper["dataset"] == dataset)])
        if items:
            first = items[0]
            panels.append((f"{task} / {dataset}: \u0394 {first['metric']} ({_direction(first['higher_is_better'])})",
                           items))
    return panels


def overview(data: model.ReportData, img_dir) -> str:
    """The overview page's body; writes its charts into `img_dir`."""
    ok = len(data.long)
    intro = (f"<p>{len(data.rows)} result rows ({ok} ok) over {len(data.tasks())} task(s), "
             f"{data.long['backbone_name'].nunique() if ok else 0} backbone(s). Per task group of the seed paper: "
             "MIM \u2212 supervised deltas per pair (green where MIM is better in the metric's direction, whiskers = "
             "95 % CI, \u25c6 = the paper's delta where <code>results/reference/</code> lists both backbones), then "
             f"every line's mean.</p><p class=note>{CI_NOTE}</p>")
    parts = [section("Overview", intro)]
    paper = data.paper_deltas.assign(group=[model.task_group(t, d) for t, d in
                                            zip(data.paper_deltas["task"], data.paper_deltas["dataset"])])
    for group in model.GROUPS:
        stats, pdl = data.stats[data.stats["group"] == group], paper[paper["group"] == group]
        if stats.empty and pdl.empty:
            continue
        panels = delta_panels(stats, pdl)
        if panels:
            name = f"delta-{slug(group)}.svg"
            charts.delta_chart(panels, img_dir / name)
            chart = img(f"img/{name}", f"MIM minus supervised deltas, {group}")
        else:
            chart = "<p class=note>No MIM / supervised pair has ok rows in this group (a pair needs both sides).</p>"
        body = (f"<p class=note>{esc(model.GROUP_NOTES[group])}</p>{chart}"
                + (stats_table(stats, with_task=True) if not stats.empty else ""))
        parts.append(section(f"{group}", body, anchor=slug(group)))
    if data.stats.empty:
        parts.append(section("No ok rows", "<p>No row matching the filters finished ok; see the task pages.</p>"))
    return "\n".join(parts)


def _bars(stats, published, task, img_dir) -> str:
    out = []
    for i, (column, sub) in enumerate(stats.groupby("column", sort=False)):
        first = sub.iloc[0]
        pub = published[(published["dataset"] == first["dataset"]) & (published["split"] == first["split"])
                        & (published["metric"] == first["metric"])]
        markers = [(r.backbone, float(r.value)) for r in pub.itertuples()]
        name = f"{slug(task)}-bars-{i}.svg"
        unit = lb.metric_unit(column, first["metric"])
        charts.bar_chart(sub.to_dict("records"), markers, column, f"{first['metric']} "
                         f"({_direction(first['higher_is_better'])})", img_dir / name,
                         top=100.0 if unit == "%" else math.inf)
        out.append(img(f"img/{name}", f"{column}: mean per backbone with 95 % CI"))
    return f'<div class="grid">{"".join(out)}</div>' if out else "<p class=note>No ok rows.</p>"


def _published_table(pub) -> str:
    rows = [[r.dataset, r.split, f"{r.protocol} / {r.schedule}", r.backbone, r.metric, num(r.value), long(r.source)]
            for r in pub.itertuples()]
    return table(["Dataset", "Split", "Protocol / schedule", "Backbone", "Metric", "Value", "Source"], rows)


def _rows_table(rows, data) -> str:
    values = dict(zip(data.long["cell_key"], zip(data.long["metric"], data.long["value"])))
    out = []
    for r in rows:
        path = model.row_file(data.results, r)
        key = Cell(link(f"rows/{slug(r.task)}/{path.name}", r.cell_key) if path else esc(r.cell_key), r.cell_key,
                   "key")
        state = model.status(r)
        metric, value = values.get(r.cell_key, (r.primary_metric, None))
        out.append([key, flagged(state, state != "ok"), r.backbone, r.dataset,
                    f"{r.split} / {r.protocol} / {r.schedule}", num(r.seed),
                    Cell(esc(f"{metric} {fmt(value)}"), "" if value is None else value, "num"),
                    flagged(*model.load_summary(r)), flagged(*model.recipe_summary(r)),
                    num((r.timings or {}).get("wall_s"), 3)])
    return table(["Row (JSON)", "Status", "Backbone", "Dataset", "Split / protocol / schedule", "Seed", "Value",
                  "Load audit", "Recipe audit", "Wall s"], out)


def _deviations(rows) -> str:
    """One line per distinct deviating (or intended) setting of the rows' recipe audits, with the rows it is in."""
    found = {}
    for r in rows:
        audit = model.recipe_audit(r) or {"deviations": [], "intended": []}
        for d in audit["deviations"] + audit["intended"]:
            key = (str(d.get("setting", "?")), "deviates" if d in audit["deviations"] else "intended",
                   *(str(d.get(k, "")) for k in ("published", "resolved", "reason", "source")))
            found.setdefault(key, []).append(f"{r.backbone} s{r.seed} ({r.dataset}, {r.protocol})")
    out = [[Cell(flagged(k[0], k[1] == "deviates").html, k[0], "key"), k[1], *(long(v) for v in k[2:]),
            Cell(f'<span title="{esc(", ".join(names))}">{len(names)} row(s)</span>', len(names), "num")]
           for k, names in sorted(found.items())]
    if not out:
        return ""
    return section("Recipe audit", "<p class=note>Settings whose resolved value differs from the published recipe "
                   "(\u26a0 deviating; <i>intended</i>: a deviation the protocol declares, with its reason), once per "
                   "distinct value; hover the count for the rows.</p>"
                   + table(["Setting", "Status", "Published", "Resolved", "Reason", "Source", "Rows"], out))


def _losses(rows, task, img_dir, pretraining) -> str:
    by_column = {}
    for r in rows:
        losses = (r.extra or {}).get("losses") or {}
        if model.status(r) == "ok" and isinstance(losses, dict) and losses:
            column = lb.column_name(r.task, r.dataset, r.split, r.protocol, r.schedule)
            by_column.setdefault(column, []).append((f"{r.backbone} s{r.seed}", pretraining.get(r.backbone, ""),
                                                     losses))
    out = []
    for i, (column, series) in enumerate(sorted(by_column.items())):
        name = f"{slug(task)}-loss-{i}.svg"
        charts.loss_chart(series, column, img_dir / name)
        out.append(img(f"img/{name}", f"{column}: per-iteration losses"))
    return "".join(out) or "<p class=note>The rows kept no per-iteration losses.</p>"


def task_page(data: model.ReportData, task: str, img_dir) -> str:
    """A task page's body; writes its charts into `img_dir`."""
    rows = sorted((r for r in data.rows if r.task == task),
                  key=lambda r: (r.dataset, r.split, r.protocol, r.schedule, r.backbone, r.seed))
    stats = data.stats[data.stats["task"] == task]
    pub = data.published[data.published["task"] == task]
    groups = ", ".join(f"{d}: {model.task_group(task, d)}" for d in sorted({r.dataset for r in rows}))
    parts = [section("Leaderboard", f"<p class=note>Groups \u2014 {esc(groups)}. {CI_NOTE}</p>"
                     + (stats_table(stats, with_task=False) if not stats.empty else "<p>No ok rows.</p>")),
             section("Per dataset", "<p class=note>Bars: mean over seeds, error bars: 95 % CI, n = seeds; \u25c6: "
                     "the paper's number on the same split and metric.</p>" + _bars(stats, pub, task, img_dir))]
    if not pub.empty:
        parts.append(section("Published numbers", "<p class=note>results/reference/ (protocol <code>paper</code>: "
                             "the paper's full recipe, not comparable to toy or smoke schedules).</p>"
                             + _published_table(pub)))
    parts.append(section("Rows", "<p class=note>One line per result row (seed); \u26a0 marks failed rows, load "
                         "audits with missing or unexplained tensors, and settings deviating from the published "
                         "recipe.</p>" + _rows_table(rows, data)))
    parts.append(_deviations(rows))
    failed = [r for r in rows if model.status(r) != "ok"]
    if failed:
        errors = "\n".join(f"{r.cell_key} {r.backbone} ({model.status(r)}): {(r.error or '').strip()[-400:]}"
                           for r in failed)
        parts.append(section("Rows not ok", f"<pre>{esc(errors)}</pre>"))
    parts.append(section("Losses", _losses(rows, task, img_dir, dict(zip(stats["backbone"], stats["pretraining"])))))
    return "\n".join(p for p in parts if p)
