"""`RunSpec`: everything `bench run` is asked to do, declared once. Each field carries its command-line form, so the
`bench run` parser, `bench sweep`'s pass-through options and the child command a sweep launches all come from
here: a new run option is one field."""
import argparse
import ast
from dataclasses import MISSING, dataclass, field, fields, replace
from typing import Dict, List, Optional, Tuple


def option(default=None, *, flag=None, help="", type=None, nargs=None, choices=None, sweep=False, action=None,
           metavar=None, hidden=False, required=False):
    """A RunSpec field with its command-line form (the flag defaults to --<name>); `sweep=True`: `bench sweep`
    takes it too and passes it on to every cell."""
    meta = dict(flag=flag, help=help, type=type, nargs=nargs, choices=choices, sweep=sweep, action=action,
                metavar=metavar, hidden=hidden, required=required)
    if isinstance(default, (dict, list)):
        return field(default_factory=lambda: type_copy(default), metadata=meta)
    return field(default=default, metadata=meta)


def type_copy(value):
    """A fresh copy of a mutable default."""
    return dict(value) if isinstance(value, dict) else list(value)


class KeyValues(argparse.Action):
    """`KEY=VALUE ...` -> dict; values parsed as Python literals when they are one (1, 0.5, [1,2], None)."""

    def __call__(self, parser, namespace, values, option_string=None):
        out = {}
        for item in values:
            key, sep, value = item.partition("=")
            if not sep or not key:
                parser.error(f"{option_string} expects KEY=VALUE, got {item!r}")
            try:
                out[key] = ast.literal_eval(value)
            except (ValueError, SyntaxError):
                out[key] = value
        setattr(namespace, self.dest, out)


@dataclass(frozen=True)
class RunSpec:
    """One `bench run`: which backbone on which task cell, and how."""

    backbone: str = option(required=True, help="registered backbone or timm:<model> (bench backbones list)")
    task: str = option(required=True, help="task name (bench tasks list)")
    dataset: Optional[str] = option(help="dataset (default: the task's first)")
    protocol: Optional[str] = option(help="protocol config (default: the task's default)")
    data_root: Optional[str] = option(help="dataset top folder as distributed (default: the data cache)")
    weights: Optional[str] = option(help="backbone checkpoint path, or 'auto' for the official URL (default: random "
                                         "init)")
    allow_missing: bool = option(False, action="store_true", sweep=True,
                                 help="accept backbone tensors left at random init")
    schedule: str = option("full", sweep=True, help="full (the protocol's) or smoke (1-2 epochs)")
    epochs: Optional[int] = option(type=int, sweep=True, help="override the number of epochs (0: evaluate the "
                                                              "untrained model)")
    img_size: Optional[Tuple[int, int]] = option(type=int, nargs=2, metavar=("H", "W"), sweep=True,
                                                 help="input size where the protocol leaves it open "
                                                      "(classification: default the backbone's)")
    batch_size: Optional[int] = option(type=int, sweep=True, help="override the training batch size (global)")
    seed: int = option(0, type=int, help="random seed")
    device: Optional[str] = option(choices=("cpu", "cuda"), sweep=True, help="default: cuda when available")
    work_dir: Optional[str] = option(help="checkpoints, logs, predictions (default: derived from the cell key)")
    bbox_file: Optional[str] = option(help="person detections (COCO results json) to evaluate on instead of GT "
                                           "boxes")
    cfg_options: Dict[str, object] = option({}, nargs="+", action=KeyValues, metavar="KEY=VALUE", sweep=True,
                                            help="override config entries, e.g. train_dataloader.num_workers=2")
    train_mix: Dict[str, str] = option({}, nargs="+", action=KeyValues, metavar="DATASET=DIR", sweep=True,
                                       help="tracking: more training sets beside the dataset's own train split, as "
                                            "SwinTrack trains its LaSOT / TrackingNet models (got10k=DIR "
                                            "lasot=DIR trackingnet=DIR coco=DIR; each sampled with weight 1)")
    eval_only: bool = option(False, action="store_true", help="evaluate a fine-tuned model (needs --checkpoint)")
    checkpoint: Optional[str] = option(help="fine-tuned model checkpoint for --eval-only")
    reinit_last_layers: int = option(0, type=int, metavar="K", sweep=True,
                                     help="re-initialise the backbone's last K blocks before fine-tuning")
    drop_last_layers: int = option(0, type=int, metavar="K", sweep=True,
                                   help="remove the backbone's last K blocks before fine-tuning (a Swin: of its last "
                                        "stage)")
    compile: bool = option(False, action="store_true", sweep=True,
                           help="torch.compile the backbone (speed only; same cell)")
    gpu_pipeline: bool = option(False, action="store_true", sweep=True,
                                help="pose: affine warp and UDP heatmap targets on the model's device in batch "
                                     "(mmpose's CPU pipeline stays the default)")
    gpus: int = option(1, type=int, metavar="N", sweep=True,
                       help="processes for this cell (DDP via torchrun; one per GPU, or gloo processes with "
                            "--device cpu); the protocol's batch is split over them")
    oom_halvings: int = option(0, type=int, hidden=True)  # set by `bench sweep` retries: same cell, half the batch
    fresh: bool = option(False, flag="--force", action="store_true", sweep=True,
                         help="re-run a cell that already has an ok row, from scratch")

    def replace(self, **changes) -> "RunSpec":
        """A copy with `changes`."""
        return replace(self, **changes)


def _flag(f) -> str:
    return f.metadata.get("flag") or "--" + f.name.replace("_", "-")


def add_arguments(parser: argparse.ArgumentParser, sweep: bool = False) -> None:
    """The RunSpec options on `parser` (for `bench sweep`: only those it passes on to every cell)."""
    for f in fields(RunSpec):
        meta = f.metadata
        if sweep and not meta["sweep"]:
            continue
        kwargs = {"help": argparse.SUPPRESS if meta["hidden"] else meta["help"], "dest": f.name}
        if meta["action"] == "store_true":
            kwargs["action"] = "store_true"
        else:
            for key in ("type", "nargs", "choices", "metavar", "action"):
                if meta[key] is not None:
                    kwargs[key] = meta[key]
        if meta["required"] and not sweep:
            kwargs["required"] = True
        parser.add_argument(_flag(f), **kwargs)


def from_args(args: argparse.Namespace, **overrides) -> RunSpec:
    """The RunSpec of parsed `bench run` arguments (missing ones keep their defaults)."""
    values = {}
    for f in fields(RunSpec):
        value = getattr(args, f.name, None)
        if value is None:
            continue
        values[f.name] = tuple(value) if f.name == "img_size" else value
    values.update(overrides)
    return RunSpec(**values)


def to_argv(spec: RunSpec) -> List[str]:
    """`bench run` arguments that reproduce `spec` (options at their default are left out)."""
    argv = []
    for f in fields(RunSpec):
        value = getattr(spec, f.name)
        default = f.default if f.default_factory is MISSING else f.default_factory()
        if value == default or value is None:
            continue
        flag = _flag(f)
        if f.metadata["action"] == "store_true":
            argv.append(flag)
        elif isinstance(value, dict):
            argv += [flag, *(f"{k}={v!r}" for k, v in value.items())]
        elif isinstance(value, (tuple, list)):
            argv += [flag, *(str(v) for v in value)]
        else:
            argv += [flag, str(value)]
    return argv
