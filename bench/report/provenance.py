"""The provenance footer: the versions, lock hash and git commit the rows recorded, and the command lines that
produced them (recorded ones where a row has them, else rebuilt from the row's cell with bench.run.spec)."""
import shlex
import time
from pathlib import Path

from bench.report.markup import esc

VERSION_KEYS = ("python", "torch", "torchvision", "mmengine", "mmcv", "mmdet", "mmpose", "mmseg", "timm", "numpy",
                "cv2", "PIL", "scipy", "pandas", "device", "gpu", "platform")


def _data_root(config):
    """The first data root in a resolved config (the dataset folder the run read)."""
    if isinstance(config, dict):
        for key, value in config.items():
            if key == "data_root" and isinstance(value, str):
                return value
            found = _data_root(value)
            if found:
                return found
    elif isinstance(config, list):
        for value in config:
            found = _data_root(value)
            if found:
                return found
    return None


def command_line(row, results: Path):
    """(command, recorded): the `bench run` command line of a row; recorded=False when rebuilt from its fields."""
    from bench.run.spec import RunSpec, to_argv

    extra, cell = row.extra or {}, row.cell or {}
    recorded = extra.get("argv") or (row.env or {}).get("argv")
    if recorded:
        return shlex.join(["bench", *[str(a) for a in recorded]]), True
    img_size = cell.get("img_size")
    spec = RunSpec(backbone=row.backbone, task=row.task, dataset=row.dataset, protocol=row.protocol,
                   data_root=_data_root(row.config), weights=row.weights, schedule=cell.get("schedule") or "full",
                   epochs=cell.get("epochs"), img_size=tuple(img_size) if img_size else None,
                   batch_size=cell.get("batch_size"), seed=row.seed,
                   reinit_last_layers=cell.get("reinit_last_layers") or 0,
                   drop_last_layers=cell.get("drop_last_layers") or 0,
                   gpu_pipeline=bool(cell.get("gpu_pipeline")), eval_only=bool(cell.get("eval_only")),
                   compile=bool(extra.get("compiled")), gpus=int(extra.get("processes") or 1),
                   device=(row.env or {}).get("device", "").split(":")[0] or None)
    options = [_option(k, v) for k, v in (cell.get("cfg_options") or {}).items()]
    return shlex.join(["bench", "run", *to_argv(spec), *(["--cfg-options", *options] if options else []),
                       "--results", str(results)]), False


def _option(key, value) -> str:
    """`KEY=VALUE` as `--cfg-options` reads it back: a string that is no Python literal needs no quotes."""
    import ast

    if isinstance(value, str):
        try:
            ast.literal_eval(value)
        except (ValueError, SyntaxError):
            return f"{key}={value}"
    return f"{key}={value!r}"


def _values(rows, get):
    out = {}
    for row in rows:
        value = get(row)
        if value not in (None, ""):
            out[str(value)] = out.get(str(value), 0) + 1
    return out


def _join(counts: dict, total: int, short: int = 0) -> str:
    """`value` when every row agrees, else each value with its count, flagged."""
    shown = {(v[:short] + "\u2026" if short and len(v) > short else v): n for v, n in counts.items()}
    if len(counts) == 1 and next(iter(counts.values())) == total:
        return esc(next(iter(shown)))
    parts = ", ".join(f"{esc(v)} ({n} rows)" for v, n in sorted(shown.items()))
    missing = total - sum(counts.values())
    parts += f", not recorded ({missing} rows)" if missing else ""
    return f'<span class="flag">{parts}</span>' if len(counts) != 1 else parts


def footer(rows, results: Path, argv=None, extra_html: str = "") -> str:
    """The provenance block for `rows`: versions, lock, commit, and every row's command line."""
    from bench import __version__

    total = len(rows)
    versions = []
    for key in VERSION_KEYS:
        counts = _values(rows, lambda r, k=key: (r.env or {}).get(k))
        if counts:
            versions.append(f"<b>{esc(key)}</b> {_join(counts, total)}")
    lock = _values(rows, lambda r: (r.env or {}).get("lock_sha256"))
    commit = _values(rows, lambda r: (r.env or {}).get("git_commit"))
    drifted = sum(1 for r in rows if (r.env or {}).get("lock_differences"))
    lines = [f"<p><b>Versions</b> ({total} rows): " + " \u00b7 ".join(versions) + "</p>" if versions else "",
             f"<p><b>requirements.lock sha256</b> {_join(lock, total, 16) if lock else 'not recorded'}"
             + (f' <span class="flag">{drifted} rows ran with installed packages differing from the lock</span>'
                if drifted else "") + "</p>",
             f"<p><b>git commit</b> {_join(commit, total, 12) if commit else 'not recorded'}</p>"]
    commands = [command_line(r, results) for r in rows]
    rebuilt = sum(1 for _, recorded in commands if not recorded)
    note = (f" ({rebuilt} rebuilt from the rows' cells: the rows do not record their argv)" if rebuilt else "")
    body = "\n".join(esc(c) for c, _ in commands)
    lines.append(f"<details><summary>Command lines of these {total} rows{esc(note)}</summary><pre>{body}</pre>"
                 "</details>")
    if argv:
        lines.append(f"<p><b>This report</b>: <code>{esc(shlex.join(argv))}</code></p>")
    lines.append(f'<p class="note">transfer-bench {esc(__version__)} \u00b7 rows from <code>{esc(results)}</code> '
                 f"\u00b7 generated {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}</p>")
    return "<section><h2>Provenance</h2>\n" + extra_html + "\n".join(lines) + "</section>"
