"""What the report shows, computed once from the result rows: the leaderboard's tables (bench.leaderboard), one
record per (table line, column) with its MIM - supervised delta and that delta's 95 % CI, the paper's numbers,
and each row's load and recipe audit summaries."""
import math
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional

import pandas as pd

from bench import leaderboard as lb
from bench.results import effective_status, load_rows, row_path

# The seed paper's task groups, in the order the report shows them. A dataset's group comes from its tags
# (bench.tasks: get_task(task).datasets[name].tags) where it has one of TAG_GROUPS, else from its task: pose, depth
# and tracking are the geometric / motion side, ADE20K segmentation is semantic, COCO detection combines both.
# Anything else (custom image folders, plug-in tasks) is "other". This is the only place the mapping lives.
GROUPS = ("geometric/motion", "fine-grained", "semantic", "combined", "other")
TAG_GROUPS = {"geometric": "geometric/motion", "motion": "geometric/motion", "fine-grained": "fine-grained",
              "semantic": "semantic"}
TASK_GROUPS = {"pose": "geometric/motion", "depth": "geometric/motion", "tracking": "geometric/motion",
               "segmentation": "semantic", "detection": "combined"}
GROUP_NOTES = {"geometric/motion": "pose, depth, tracking", "fine-grained": "fine-grained classification",
               "semantic": "semantic classification sets, ADE20K segmentation", "combined": "COCO detection",
               "other": "custom datasets and plug-in tasks"}
PRETRAINING_ORDER = {"simmim": 0, "supervised": 1, "none": 2}
STAT_COLUMNS = list(lb.COLUMN_KEYS) + ["column", "metric", "higher_is_better", "group", "backbone", "pretraining",
                                       "pair_with", "mean", "ci95", "n", "delta", "delta_ci95", "delta_ci_method"]


def task_group(task: str, dataset: str) -> str:
    """The paper's group (one of GROUPS) of a task's dataset."""
    for tag in lb.dataset_tags(task, dataset):
        if tag in TAG_GROUPS:
            return TAG_GROUPS[tag]
    return TASK_GROUPS.get(task, "other")


@dataclass
class ReportData:
    """Everything the pages are made from."""

    results: Path
    rows: list                 # every row matching the filters, any status
    long: pd.DataFrame         # lb.long_table: one line per ok row
    stats: pd.DataFrame        # one record per (table line, column): mean, ci95, n, delta, delta_ci95
    published: pd.DataFrame    # the paper's numbers, one per line, with their column key
    paper_deltas: pd.DataFrame  # MIM - supervised where the paper lists both

    def tasks(self) -> List[str]:
        """Tasks with rows, sorted."""
        return sorted({r.task for r in self.rows})


def _matches(row, filters: dict) -> bool:
    return all(str(getattr(row, key)) == value for key, value in filters.items())


def collect(results: Path, filters=None, metric: Optional[str] = None, warn=print) -> ReportData:
    """Read the rows under `results` (restricted by `KEY=VALUE` filters) into a ReportData."""
    chosen = lb._filters(filters)
    rows = [r for r in load_rows(results, warn=lambda _: None) if _matches(r, chosen)]
    long = lb.long_table(results, metric=metric, filters=filters, warn=warn)
    pub = published({k: v for k, v in chosen.items() if k in ("task", "dataset")})
    return ReportData(Path(results), rows, long, line_stats(long, lb.aggregate(long)), pub, paper_deltas(pub))


def line_stats(long: pd.DataFrame, table: pd.DataFrame) -> pd.DataFrame:
    """Long form of lb.aggregate's wide table, with each column's keys, metric, direction and group."""
    records = []
    if long.empty:
        return pd.DataFrame(columns=STAT_COLUMNS)
    columns = long.drop_duplicates("column").set_index("column")
    for _, line in table.iterrows():
        for column, info in columns.iterrows():
            mean = line.get(f"{column} mean")
            if mean is None or pd.isna(mean):
                continue
            rec = {k: info[k] for k in lb.COLUMN_KEYS}
            rec.update(column=column, metric=info["metric"], higher_is_better=bool(info["higher_is_better"]),
                       group=task_group(info["task"], info["dataset"]), backbone=line["backbone"],
                       pretraining=line["pretraining"], pair_with=line["pair_with"], mean=float(mean),
                       ci95=float(line[f"{column} ci95"]), n=int(line[f"{column} n"]),
                       delta=float(line[f"{column} delta_vs_pair"]))
            rec["delta_ci95"], rec["delta_ci_method"] = delta_ci(long, rec)
            records.append(rec)
    stats = pd.DataFrame(records, columns=STAT_COLUMNS)
    order = [(r.task, r.dataset, r.column, PRETRAINING_ORDER.get(r.pretraining, 3), r.backbone)
             for r in stats.itertuples()]
    return stats.iloc[sorted(range(len(order)), key=order.__getitem__)].reset_index(drop=True)


def delta_ci(long: pd.DataFrame, rec: dict):
    """95 % CI half-width of a MIM - partner delta and how it was made: `paired` (lb.ci95 of the per-seed
    differences, when both lines ran the same seeds), `combined` (sqrt of the sum of the two squared CIs), or
    `n<2` (NaN: a side has fewer than two seeds)."""
    if math.isnan(rec["delta"]):
        return math.nan, ""
    in_column = long[long["column"] == rec["column"]]
    own = in_column[in_column["backbone"] == rec["backbone"]].set_index("seed")["value"]
    other = in_column[in_column["backbone"] == rec["pair_with"]].set_index("seed")["value"]
    if len(own) < 2 or len(other) < 2:
        return math.nan, "n<2"
    if own.index.is_unique and other.index.is_unique and set(own.index) == set(other.index):
        return lb.ci95(list(own - other.reindex(own.index))), "paired"
    return math.hypot(lb.ci95(list(own)), lb.ci95(list(other))), "combined"


def published(filters: dict) -> pd.DataFrame:
    """The seed paper's numbers (results/reference/*.csv, as lb.reference_rows reads them), one per line, with
    their metric and column key; `filters` on task / dataset."""
    frames = [pd.read_csv(p) for p in sorted(lb.REFERENCE_DIR.glob("*.csv"))]
    if not frames:
        return pd.DataFrame(columns=list(lb.COLUMN_KEYS) + ["backbone", "metric", "value", "column", "source"])
    ref = pd.concat(frames, ignore_index=True)
    for key, value in filters.items():
        ref = ref[ref[key].astype(str) == value]
    return ref.assign(column=[lb.column_name(*r) for r in ref[list(lb.COLUMN_KEYS)].itertuples(index=False)])


def paper_deltas(pub: pd.DataFrame) -> pd.DataFrame:
    """MIM - supervised from the paper's numbers, where a column lists a MIM backbone and its `pair_with`."""
    from backbones.core.errors import BenchError
    from backbones.registry import get_spec

    out = []
    for column, sub in pub.groupby("column"):
        values = dict(zip(sub["backbone"], sub["value"]))
        for name, value in values.items():
            try:
                spec = get_spec(name)
            except BenchError:
                continue
            if spec.pretraining != "supervised" and spec.pair_with in values:
                first = sub.iloc[0]
                out.append({**{k: first[k] for k in lb.COLUMN_KEYS}, "column": column, "backbone": name,
                            "pair_with": spec.pair_with, "delta": float(value - values[spec.pair_with]),
                            "metric": first["metric"], "higher_is_better": bool(first["higher_is_better"])})
    return pd.DataFrame(out, columns=list(lb.COLUMN_KEYS) + ["column", "backbone", "pair_with", "delta", "metric",
                                                             "higher_is_better"])


def status(row) -> str:
    """The row's status, `interrupted` for a running row whose process is gone."""
    return effective_status(row)


def row_file(results: Path, row) -> Optional[Path]:
    """The row's JSON file in the store, or None where it is not at its usual path."""
    path = row_path(results, row.task, row.cell_key)
    return path if path.is_file() else None


def load_summary(row):
    """(text, flagged) for the row's load audit: flagged when it failed or left model tensors at random init."""
    audit = row.load_audit
    if not audit:
        return "no checkpoint (random init)", False
    if not isinstance(audit, dict):
        return f"unreadable audit ({str(audit)[:40]})", True
    text = (f"{audit.get('n_loaded', '?')}/{audit.get('n_checkpoint_tensors', '?')} tensors loaded, "
            f"{audit.get('n_dropped', '?')} dropped, {audit.get('n_missing', '?')} missing")
    if audit.get("transforms"):
        text += "; " + ", ".join(str(t) for t in audit["transforms"])
    flagged = audit.get("ok") is False or bool(audit.get("n_problems")) or bool(audit.get("n_missing"))
    if audit.get("n_problems"):
        text += f"; {audit['n_problems']} problem(s)"
    return text, flagged


def recipe_audit(row) -> Optional[dict]:
    """The row's recipe audit (bench.run.recipe: settings, deviations, intended, kind, of) as a dict; None where the
    row has none (rows written before the audit existed, or protocols without a recipe)."""
    audit = getattr(row, "recipe_audit", None)
    if audit is None:
        audit = (row.extra or {}).get("recipe_audit")
    if audit is None:
        return None
    audit = audit if isinstance(audit, dict) else {"deviations": list(audit)}

    def _items(key):
        return [d if isinstance(d, dict) else {"setting": str(d)} for d in (audit.get(key) or [])]

    return {**audit, "deviations": _items("deviations"), "intended": _items("intended")}


def recipe_summary(row):
    """(text, flagged) for the row's recipe audit: flagged when a setting deviates from the published recipe."""
    audit = recipe_audit(row)
    if audit is None:
        return "not recorded", False
    deviations, intended = audit["deviations"], audit["intended"]
    kind = f"{audit.get('kind')} protocol of {audit['of']}: " if audit.get("of") else ""
    extra = f"; {len(intended)} intended" if intended else ""
    if not deviations:
        return f"{kind}as published{extra}", False
    names = f" ({', '.join(str(d.get('setting', '?')) for d in deviations)})" if len(deviations) <= 3 else ""
    return f"{kind}{len(deviations)} deviating{names}{extra}", True
