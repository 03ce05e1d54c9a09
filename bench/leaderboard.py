"""`bench leaderboard`: backbones x (task, dataset, split, protocol, schedule) tables of a metric's mean +- 95 % CI
over seeds, MIM - supervised deltas from each spec's `pair_with`, and the seed paper's numbers as labelled rows."""
import math
from typing import Optional
from pathlib import Path

import pandas as pd

from backbones.core.errors import BenchError
from backbones.core.paths import REPO_ROOT
from bench.results import effective_status, load_rows

COLUMN_KEYS = ("task", "dataset", "split", "protocol", "schedule")
REFERENCE_DIR = REPO_ROOT / "results" / "reference"


def column_name(task, dataset, split, protocol, schedule) -> str:
    """A leaderboard column: task/dataset/split/protocol/schedule."""
    return "/".join(str(x) for x in (task, dataset, split, protocol, schedule))


def ci95(values) -> float:
    """Half-width of the 95 % confidence interval of the mean (Student t, n-1 dof); NaN for n < 2."""
    from scipy import stats

    n = len(values)
    if n < 2:
        return math.nan
    sd = pd.Series(values).std(ddof=1)
    return float(stats.t.ppf(0.975, n - 1) * sd / math.sqrt(n))


def _filters(items):
    out = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or key not in COLUMN_KEYS + ("backbone",):
            raise BenchError(f"--filter {item!r}: expected KEY=VALUE with KEY one of "
                             f"{', '.join(COLUMN_KEYS + ('backbone',))}")
        out[key] = value
    return out


def metric_direction(row, name: str) -> bool:
    """Whether a higher `name` is better, as the row's task declares it (lm-eval's higher_is_better per metric)."""
    if name in (row.metric_directions or {}):
        return bool(row.metric_directions[name])
    from bench.tasks import TASKS

    try:
        return TASKS.get(row.task)().metric(name).higher_is_better
    except BenchError:
        return row.higher_is_better


def _lines(df: pd.DataFrame, cells: dict) -> list:
    """Table line per record: the backbone's name, or, where one backbone has rows of several cells in one column
    (other batch, LR, weights, ...), the name with the fields that tell those cells apart."""
    labels = list(df["backbone"])
    for _, group in df.groupby(["backbone", "column"]):
        ids = sorted(set(group["cell_id"]))
        if len(ids) < 2:
            continue
        keys = sorted({k for i in ids for k in cells[i]} - {"seed"})
        differing = [k for k in keys if len({str(cells[i].get(k)) for i in ids}) > 1] or ["cell_id"]
        for idx, cell_id in zip(group.index, group["cell_id"]):
            fields = {**cells[cell_id], "cell_id": cell_id}
            parts = [f"{k}={str(fields.get(k))[:12]}" for k in differing]
            labels[df.index.get_loc(idx)] = f"{df.at[idx, 'backbone']} [{', '.join(parts)}]"
    return labels


def long_table(results_dir, metric=None, filters=None, warn=print) -> pd.DataFrame:
    """One line per ok row: column keys, table line (`backbone`), seed, value of `metric` (default: the row's
    primary) and its direction. Rows pool as seeds only within one cell (`cell_id`)."""
    records, cells, known = [], {}, set()
    for row in load_rows(results_dir, warn=warn):
        if effective_status(row) != "ok":
            continue
        known.update(row.metrics)
        name = metric or row.primary_metric
        value = row.metrics.get(name)  # load_rows skipped rows whose metrics are not numbers
        if value is None:
            continue
        rec = {k: getattr(row, k) for k in COLUMN_KEYS}
        cell_id = row.cell_id or row.cell_key
        cells[cell_id] = row.cell or {}
        rec.update(backbone=row.backbone, backbone_name=row.backbone, seed=row.seed, metric=name,
                   value=float(value), higher_is_better=metric_direction(row, name), cell_key=row.cell_key,
                   cell_id=cell_id, deviates=bool((row.recipe_audit or {}).get("deviations")))
        records.append(rec)
    if metric and known and not records:
        raise BenchError(f"--metric {metric}: no ok row reports it; the rows' metrics are {', '.join(sorted(known))}")
    df = pd.DataFrame.from_records(records, columns=list(COLUMN_KEYS) + [
        "backbone", "backbone_name", "seed", "metric", "value", "higher_is_better", "cell_key", "cell_id",
        "deviates"])
    for key, value in _filters(filters).items():
        df = df[df[key].astype(str) == value]
    if not df.empty:
        df = df.assign(column=[column_name(*r) for r in df[list(COLUMN_KEYS)].itertuples(index=False)])
        df = df.assign(backbone=_lines(df, cells))
    return df


def _partner(name):
    from backbones.registry import get_spec

    try:
        spec = get_spec(name.split(" [")[0])
    except BenchError:
        return None, None
    return spec.pair_with, spec.pretraining


def aggregate(df: pd.DataFrame) -> pd.DataFrame:
    """Wide table: one row per backbone; per column key `<key> mean`, `<key> ci95`, `<key> n`, and for MIM
    backbones with a partner `<key> delta_vs_pair` (own mean - partner's mean)."""
    if df.empty:
        return pd.DataFrame(columns=["backbone", "pretraining", "pair_with"])
    stats = df.groupby(["backbone", "column"]).agg(mean=("value", "mean"), n=("value", "count"),
                                                    ci95=("value", ci95), deviates=("deviates", "any")).reset_index()
    table = pd.DataFrame({"backbone": sorted(df["backbone"].unique())})
    meta = {b: _partner(b) for b in table["backbone"]}
    table["pretraining"] = [meta[b][1] or "" for b in table["backbone"]]
    table["pair_with"] = [meta[b][0] or "" for b in table["backbone"]]
    for column in sorted(stats["column"].unique()):
        sub = stats[stats["column"] == column].set_index("backbone")
        table[f"{column} mean"] = table["backbone"].map(sub["mean"])
        table[f"{column} ci95"] = table["backbone"].map(sub["ci95"])
        table[f"{column} n"] = table["backbone"].map(sub["n"]).astype("Int64")
        table[f"{column} deviates"] = table["backbone"].map(sub["deviates"]).astype("boolean")
        table[f"{column} delta_vs_pair"] = _deltas(sub["mean"].to_dict(), table["backbone"], meta)
    return table


def _deltas(means: dict, backbones, meta) -> list:
    """Own mean - partner's mean for non-supervised backbones whose `pair_with` partner has a mean."""
    return [means[b] - means[meta[b][0]] if meta[b][1] != "supervised" and meta[b][0] in means and b in means
            else math.nan for b in backbones]


def dataset_tags(task: str, dataset: str) -> tuple:
    """The groups a dataset belongs to (e.g. geometric, semantic); () when the task or dataset is unknown."""
    from bench.tasks import get_task

    try:
        return get_task(task).datasets[dataset].tags
    except (BenchError, KeyError):
        return ()


def known_groups() -> list:
    """Every dataset group that a registered task declares, sorted."""
    from bench.tasks import get_task, task_names

    return sorted({t for name in task_names() for info in get_task(name).datasets.values() for t in info.tags})


def add_group_averages(table: pd.DataFrame, df: pd.DataFrame, groups) -> pd.DataFrame:
    """Per group (a dataset tag such as `semantic`), columns `<task>/[<group>]/avg/<protocol>/<schedule>`: a
    backbone's mean over the group's datasets of its per-dataset means (over seeds), with `n` = the number of
    datasets. Empty for a backbone that lacks any dataset of the group that another backbone has."""
    known = known_groups()
    unknown = sorted(set(groups) - set(known))
    if unknown:
        raise BenchError(f"--group-average {', '.join(unknown)}: unknown group; known: {', '.join(known)}")
    per = df.groupby(["backbone", "task", "dataset", "protocol", "schedule"])["value"].mean().reset_index()
    per["tags"] = [dataset_tags(t, d) for t, d in zip(per["task"], per["dataset"])]
    meta = {b: _partner(b) for b in table["backbone"]}
    columns = {}
    for group in groups:
        sub = per[[group in tags for tags in per["tags"]]]
        for (task, protocol, schedule), cell in sub.groupby(["task", "protocol", "schedule"]):
            wanted = set(cell["dataset"])
            means = {b: rows["value"].mean() for b, rows in cell.groupby("backbone") if set(rows["dataset"]) == wanted}
            column = column_name(task, f"[{group}]", "avg", protocol, schedule)
            columns[f"{column} mean"] = table["backbone"].map(means)
            columns[f"{column} n"] = pd.Series([len(wanted) if b in means else pd.NA for b in table["backbone"]],
                                               index=table.index, dtype="Int64")
            columns[f"{column} delta_vs_pair"] = _deltas(means, table["backbone"], meta)
    return pd.concat([table, pd.DataFrame(columns, index=table.index)], axis=1)


def reference_rows() -> pd.DataFrame:
    """The seed paper's published numbers (results/reference/*.csv), labelled `[paper] <backbone>`."""
    frames = [pd.read_csv(p) for p in sorted(REFERENCE_DIR.glob("*.csv"))]
    if not frames:
        return pd.DataFrame()
    ref = pd.concat(frames, ignore_index=True)
    ref = ref.assign(column=[column_name(*r) for r in ref[list(COLUMN_KEYS)].itertuples(index=False)])
    out = []
    for backbone, sub in ref.groupby("backbone", sort=True):
        rec = {"backbone": f"[paper] {backbone}", "pretraining": "reference", "pair_with": "",
               "source": "; ".join(sorted(set(sub["source"])))}
        for _, r in sub.iterrows():
            rec[f"{r['column']} mean"] = r["value"]
        out.append(rec)
    return pd.DataFrame(out)


def markdown(table: pd.DataFrame, higher: dict) -> str:
    """Markdown with `mean ± ci (n)` cells; the best mean per column in bold (direction from the task); a cell
    whose rows deviate from the published recipe is marked †."""
    columns = [c[:-5] for c in table.columns if c.endswith(" mean")]
    lines = ["| backbone | " + " | ".join(columns) + " |", "|---|" + "---|" * len(columns)]
    best = {}
    for col in columns:
        measured = table[~table["backbone"].str.startswith("[paper]")][f"{col} mean"].dropna()
        if len(measured):
            best[col] = measured.max() if higher.get(col, True) else measured.min()
    for _, row in table.iterrows():
        cells = []
        for col in columns:
            mean = row.get(f"{col} mean")
            if pd.isna(mean):
                cells.append("")
                continue
            text = f"{mean:.4g}"
            ci = row.get(f"{col} ci95")
            if ci is not None and not pd.isna(ci):
                text += f" ± {ci:.2g}"
            n = row.get(f"{col} n")
            if n is not None and not pd.isna(n):
                text += f" (n={n})"
            delta = row.get(f"{col} delta_vs_pair")
            if delta is not None and not pd.isna(delta):
                text += f" [Δ {delta:+.3g}]"
            if best.get(col) == mean and not row["backbone"].startswith("[paper]"):
                text = f"**{text}**"
            if row.get(f"{col} deviates") is True:
                text += " †"
            cells.append(text)
        lines.append(f"| {row['backbone']} | " + " | ".join(cells) + " |")
    if any(c.endswith(" deviates") and table[c].fillna(False).any() for c in table.columns):
        lines.append("\n† the rows of this cell deviate from the protocol's published recipe (a toy or shortened "
                     "run, or another batch): see their `recipe_audit`")
    return "\n".join(lines) + "\n"


def _pretraining(label: str) -> str:
    from backbones.registry import get_spec

    try:
        return get_spec(label.split(" ")[0]).pretraining
    except (BenchError, KeyError):
        return "other"


def metric_unit(column: str, metric: str) -> str:
    """The unit of `metric` in a column (its task's declaration), or '' where the task does not say."""
    from bench.tasks import get_task

    try:
        return get_task(column.split("/")[0]).metric(metric).unit
    except (BenchError, KeyError, AttributeError):
        return ""


def plot(table: pd.DataFrame, path: Path, higher: Optional[dict] = None, metrics: Optional[dict] = None):
    """A panel per column, drawn as the report's bar charts (bench.report.charts.draw_bars: MIM / supervised /
    random in their colours, CI whiskers only where n >= 2, clipped to the metric's range, `n` per bar, the paper's
    numbers of --with-reference as diamonds), the metric, unit and direction on the axis. Written atomically; the
    folder is made if missing."""
    import os

    from bench.report import charts

    higher, metrics = higher or {}, metrics or {}
    paper = table[table["backbone"].str.startswith("[paper]")]
    measured = table[~table["backbone"].str.startswith("[paper]")]
    columns = [c[:-5] for c in measured.columns if c.endswith(" mean") and measured[c].notna().any()]
    if not columns:
        raise BenchError("nothing to plot: no ok rows match")
    with charts.plt.rc_context(charts.STYLE):
        fig, axes = charts.plt.subplots(1, len(columns), figsize=(4.5 * len(columns), 3.6), squeeze=False)
        legend = {}
        for ax, col in zip(axes[0], columns):
            sub = measured[measured[f"{col} mean"].notna()]
            lines = [{"backbone": r["backbone"], "pretraining": _pretraining(r["backbone"]),
                      "mean": float(r[f"{col} mean"]), "ci95": r.get(f"{col} ci95"), "n": int(r[f"{col} n"])}
                     for _, r in sub.iterrows()]
            refs = paper[paper[f"{col} mean"].notna()] if f"{col} mean" in paper else paper.iloc[:0]
            markers = [(r["backbone"].removeprefix("[paper] "), float(r[f"{col} mean"])) for _, r in refs.iterrows()]
            metric = metrics.get(col, col.split("/")[-1])
            unit = metric_unit(col, metric)
            direction = {True: "higher is better", False: "lower is better"}.get(higher.get(col))
            ylabel = ", ".join(p for p in (f"{metric} ({unit})" if unit else metric, direction) if p)
            legend.update(charts.draw_bars(ax, lines, markers, col, ylabel, 100.0 if unit == "%" else math.inf))
        names = {"simmim": "MIM (SimMIM)", "supervised": "supervised", "none": "random init"}
        fig.legend(list(legend.values()), [names.get(k, k) for k in legend], loc="upper right", fontsize=7)
        fig.tight_layout(rect=(0, 0, 0.9, 1))
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp{os.getpid()}{path.suffix}")
        fig.savefig(tmp, dpi=120)
        charts.plt.close(fig)
    os.replace(tmp, path)
