"""The analysis page from `bench analyze --out DIR`: its attention-distance, head-diversity and CKA figures (the PNGs
it wrote) beside their numbers (from its analysis.json), with the files themselves linked."""
import json
import shutil
from pathlib import Path

from backbones.core.errors import BenchError
from bench.report.markup import Cell, esc, img, link, long, num, section, table

FIGURES = (("attention_distance", "attention_distance.png", "Mean attention distance per layer (pixels)",
            "Mean over heads of each head's attention distance (class token excluded); dots in the figure are the "
            "heads, the line their mean. The seed paper: MIM keeps local heads in every layer, while supervised "
            "models' attention turns global in the last layers."),
           ("head_diversity", "head_diversity.png", "Attention-head diversity per layer",
            "Mean KL divergence between the attention distributions of different heads for the same query: higher "
            "means the heads of a layer look at different things. The seed paper: MIM keeps heads diverse in all "
            "layers; supervised models' last layers lose diversity."))


def read_analysis(src: Path) -> dict:
    """analysis.json of a `bench analyze` output folder; BenchError naming the fix where it is missing or bad."""
    path = Path(src) / "analysis.json"
    if not path.is_file():
        raise BenchError(f"--analysis {src}: no analysis.json there; pass the --out folder of `bench analyze`")
    try:
        data = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise BenchError(f"--analysis {src}: analysis.json is not readable JSON ({exc}); re-run `bench analyze`")
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        raise BenchError(f"--analysis {src}: analysis.json is not `bench analyze` output; re-run `bench analyze`")
    return data


def _mean(values) -> float:
    values = [float(v) for v in values]
    return sum(values) / len(values) if values else float("nan")


def _per_layer(data: dict, key: str, layer_key: str = "") -> str:
    names = [n for n, r in data.items() if r.get(key)]
    if not names:
        return ""
    columns = {n: (data[n].get(layer_key) or [_mean(h) for h in data[n][key]]) for n in names}
    depth = max(len(v) for v in columns.values())
    rows = [[num(layer + 1)] + [num(columns[n][layer]) if layer < len(columns[n]) else "" for n in names]
            for layer in range(depth)]
    return table(["Layer"] + names, rows)


def _cka(name: str, matrix) -> str:
    rows = [[num(i + 1)] + [Cell(f'<span style="display:block;background:rgba(59,117,175,'
                                 f'{0.7 * max(0.0, min(1.0, float(v))):.2f})">{float(v):.2f}</span>', float(v), "num")
                            for v in line] for i, line in enumerate(matrix)]
    shaded = table(["Layer"] + [str(j + 1) for j in range(len(matrix))], rows, sortable=False)
    return f"<details><summary>CKA matrix of {esc(name)} ({len(matrix)} x {len(matrix)})</summary>{shaded}</details>"


def analysis_page(src: Path, dest: Path) -> str:
    """The analysis page's body; copies the analysis files into `dest` (a folder of the site)."""
    src = Path(src)
    data = read_analysis(src)
    dest.mkdir(parents=True, exist_ok=True)
    copied = []
    for path in sorted(src.iterdir()):
        if path.is_file() and path.suffix in (".json", ".csv", ".png"):
            shutil.copyfile(path, dest / path.name)
            copied.append(path.name)
    files = " \u00b7 ".join(link(f"{dest.name}/{n}", n) for n in copied)
    summary = table(["Backbone", "Weights", "Images", "Layers", "Input (H, W)"],
                    [[n, long(r.get("weights") or "random init"), num(r.get("n_images")), num(r.get("n_layers")),
                      " x ".join(str(s) for s in r.get("img_size") or [])] for n, r in data.items()])
    parts = [section("Representation analysis", f"<p>From <code>{esc(src)}</code>: {files}</p>{summary}")]
    for key, figure, title, note in FIGURES:
        numbers = _per_layer(data, key, "head_diversity_layer" if key == "head_diversity" else "")
        if not numbers and figure not in copied:
            continue
        chart = img(f"{dest.name}/{figure}", title) if figure in copied else ""
        body = f"<p class=note>{esc(note)}</p><div class=grid>{chart}<div>{numbers}</div></div>"
        parts.append(section(title, body, anchor=key))
    cka = [(n, r["cka"]) for n, r in data.items() if r.get("cka")]
    if cka:
        figures = "".join(img(f"{dest.name}/{f}", f"linear CKA between layers: {n}") for n in data
                          for f in [f"cka_{n.replace(':', '_')}.png"] if f in copied)
        tables = "".join(_cka(n, m) for n, m in cka)
        parts.append(section("Layer CKA", "<p class=note>Linear CKA between the outputs of every pair of blocks "
                             f"(1 = the same representation up to rotation and scale).</p><div class=grid>{figures}"
                             f"</div>{tables}", anchor="cka"))
    return "\n".join(parts)
