"""The report's charts as SVG files (matplotlib, text kept as text): MIM - supervised deltas per group, a bar chart
per dataset column with 95 % CI error bars, `n` and the paper's number, and per-iteration loss curves."""
import math

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

STYLE = {"svg.fonttype": "none", "svg.hashsalt": "transfer-bench-report", "font.size": 9,
         "font.family": "DejaVu Sans", "axes.spines.top": False, "axes.spines.right": False,
         "axes.titlesize": 9, "axes.titlelocation": "left"}
COLOURS = {"simmim": "#3b75af", "supervised": "#ef8636", "none": "#9a9a9a"}
OTHER_COLOUR = "#8c6bb1"
BETTER, WORSE, EVEN = "#3a9a5b", "#c8453c", "#9a9a9a"
DASHES = ("-", "--", ":", "-.")
MAX_POINTS = 1500  # per loss series drawn (longer series are strided)


def _save(fig, path):
    fig.savefig(path, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(fig)


def _finite(value) -> bool:
    return value is not None and not (isinstance(value, float) and math.isnan(value))


def delta_chart(panels, path):
    """One panel per (task, dataset): a horizontal bar per measured MIM - supervised delta with its CI whisker, green
    where MIM is better in the metric's direction, and a diamond per paper delta. `panels`: (title, items) with
    items {label, delta, ci95, higher_is_better, paper, note}."""
    heights = [0.55 + 0.42 * len(items) for _, items in panels]
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(len(panels), 1, figsize=(6.6, sum(heights)), squeeze=False,
                                 gridspec_kw={"height_ratios": heights})
        for ax, (title, items) in zip(axes[:, 0], panels):
            ys = list(range(len(items)))[::-1]
            for y, it in zip(ys, items):
                delta, ci = it["delta"], it["ci95"] if _finite(it["ci95"]) else 0.0
                better = EVEN if delta == 0 else BETTER if (delta > 0) == it["higher_is_better"] else WORSE
                if it["paper"]:
                    ax.plot([delta], [y], "D", color="#1d2428", markersize=7)
                else:
                    ax.barh(y, delta, xerr=ci or None, color=better, height=0.55, capsize=3,
                            error_kw={"ecolor": "#333", "elinewidth": 1})
                ax.text(1.01, y, it["note"], transform=ax.get_yaxis_transform(), va="center", fontsize=7.5)
            reach = max(abs(it["delta"]) + (it["ci95"] if _finite(it["ci95"]) else 0) for it in items) or 1.0
            ax.set_xlim(-1.7 * reach, 1.7 * reach)  # zero in the middle: the sign reads at a glance
            ax.axvline(0, color="#555", linewidth=0.8)
            ax.set_yticks(ys, [it["label"] for it in items], fontsize=7.5)
            ax.set_ylim(-0.7, len(items) - 0.3)
            ax.set_title(title)
        fig.tight_layout()
        _save(fig, path)


def whiskers(means, ci, top=math.inf):
    """Lower and upper whisker lengths of mean ± ci, clipped to [0, top] (none where ci is missing: n = 1)."""
    low = [m - max(0.0, m - c) if _finite(c) else 0.0 for m, c in zip(means, ci)]
    high = [min(top, m + c) - m if _finite(c) else 0.0 for m, c in zip(means, ci)]
    return low, high


def draw_bars(ax, lines, markers, title, ylabel, top=math.inf):
    """Into `ax`: a bar per table line's mean, coloured by its pre-training (MIM / supervised / random), 95 % CI
    whiskers only where there is a CI (n >= 2) and clipped to the metric's range [0, top], its value and `n` on
    top; then the paper's numbers as diamonds in their own slots. `lines`: {backbone, pretraining, mean, ci95, n};
    `markers`: (label, value). Returns {pretraining: a bar} for a legend."""
    xs = list(range(len(lines)))
    means = [ln["mean"] for ln in lines]
    low, high = whiskers(means, [ln["ci95"] for ln in lines], top)
    bars = ax.bar(xs, means, width=0.6, color=[COLOURS.get(ln["pretraining"], OTHER_COLOUR) for ln in lines])
    shown = [i for i, ln in enumerate(lines) if _finite(ln["ci95"])]
    if shown:
        ax.errorbar(shown, [means[i] for i in shown], yerr=[[low[i] for i in shown], [high[i] for i in shown]],
                    fmt="none", ecolor="#333", elinewidth=1, capsize=4)
    for x, ln, lo, hi in zip(xs, lines, low, high):
        up = ln["mean"] >= 0
        ax.annotate(f"{ln['mean']:.4g}\nn={ln['n']}", (x, ln["mean"] + hi if up else ln["mean"] - lo),
                    xytext=(0, 3 if up else -3), textcoords="offset points", ha="center",
                    va="bottom" if up else "top", fontsize=7)
    paper = list(range(len(lines), len(lines) + len(markers)))
    for x, (label, value) in zip(paper, markers):
        ax.plot([x], [value], "D", color="#1d2428", markersize=7)
        ax.annotate(f"{value:g}", (x, value), xytext=(0, 6), textcoords="offset points", ha="center", fontsize=7)
    ax.set_xticks(xs + paper, [ln["backbone"] for ln in lines] + [f"[paper] {m[0]}" for m in markers],
                  rotation=15, ha="right", fontsize=7.5)
    ax.set_xlim(-0.6, len(xs + paper) - 0.4)
    ax.margins(y=0.2)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    return {ln["pretraining"]: bar for ln, bar in zip(lines, bars)}


def bar_chart(lines, markers, title, ylabel, path, top=math.inf):
    """`draw_bars` as one SVG figure."""
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(5.4, 3.2))
        draw_bars(ax, lines, markers, title, ylabel, top)
        fig.tight_layout()
        _save(fig, path)


def loss_chart(series, title, path, max_panels: int = 3):
    """Per-iteration loss curves: one panel per loss name (the total `loss` first), one line per row.
    `series`: (label, pretraining, {loss name: values}); colour by pretraining, dashes by seed."""
    names = sorted({n for _, _, losses in series for n in losses}, key=lambda n: (n != "loss", n))[:max_panels]
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(1, len(names), figsize=(min(3.7 * len(names), 11), 2.7), squeeze=False)
        for ax, name in zip(axes[0], names):
            seen = {}
            for i, (label, pretraining, losses) in enumerate(series):
                values = [float(v) if _finite(v) else math.nan for v in losses.get(name) or []]
                if not values:
                    continue
                k = seen[pretraining] = seen.get(pretraining, -1) + 1  # seeds of one kind: other dashes
                stride = max(1, math.ceil(len(values) / MAX_POINTS))
                ax.plot(range(1, len(values) + 1, stride), values[::stride], linewidth=1, label=label,
                        color=COLOURS.get(pretraining, f"C{(i + 4) % 10}"), linestyle=DASHES[k % len(DASHES)],
                        marker="." if len(values) < 30 else None)
            ax.set_title(f"{title}: {name}" if ax is axes[0][0] else name)
            ax.set_xlabel("iteration")
        axes[0][0].legend(fontsize=6.5, frameon=False)
        fig.tight_layout()
        _save(fig, path)
