"""Reading checkpoints safely and mapping their keys: every tensor either lands in the model or is dropped with a
reason. Official SimMIM files pickle training state and a yacs CfgNode: they are read by a restricted unpickler
(torch's weights-only allow-list, numpy, and inert stand-ins for known config classes), so no code from the file
ever runs and yacs is not needed."""
import codecs
import pickle
import re
import types
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional

import torch

from backbones.core.errors import BenchError
from backbones.spec import Reason

SUFFIXES = (".pth", ".pt", ".bin", ".ckpt", ".safetensors")
CONTAINER_KEYS = ("model", "state_dict", "module")
PREFIXES = ("module.", "encoder.", "backbone.")


class InertConfig(dict):
    """Stand-in for config and logging objects pickled into checkpoints (yacs CfgNode, argparse Namespace,
    mmengine HistoryBuffer): keeps their data as a dict, runs nothing."""

    def __setstate__(self, state):
        if isinstance(state, dict):
            self.update({k: v for k, v in state.items() if not str(k).startswith("_")})


INERT_CLASSES = {"yacs.config.CfgNode", "argparse.Namespace", "easydict.EasyDict",
                 "omegaconf.dictconfig.DictConfig", "mmengine.logging.history_buffer.HistoryBuffer"}


class UnsafeCheckpoint(pickle.UnpicklingError):
    """Raised when unpickling a file would resolve a global outside the allow-list."""
    pass


def _allowed_globals() -> dict:
    """What torch's own weights-only loader allows (tensor rebuilders, plain containers), plus numpy arrays and
    scalars, which training state often holds."""
    import numpy as np
    from torch._weights_only_unpickler import _get_allowed_globals

    allowed = dict(_get_allowed_globals())
    for mod in ("numpy.core.multiarray", "numpy._core.multiarray"):
        allowed[f"{mod}.scalar"] = np._core.multiarray.scalar
        allowed[f"{mod}._reconstruct"] = np._core.multiarray._reconstruct
    allowed.update({"numpy.dtype": np.dtype, "numpy.ndarray": np.ndarray, "_codecs.encode": codecs.encode})
    for t in ("float64", "float32", "float16", "int64", "int32", "int8", "uint8", "bool"):
        cls = type(np.dtype(t))
        allowed[f"numpy.dtypes.{cls.__name__}"] = cls
    return allowed


def _inert_getattr(obj, name):
    """mmengine pickles HistoryBuffer's statistic methods as getattr(HistoryBuffer, 'min'): allowed on the inert
    stand-in only (yielding nothing), refused on anything else."""
    if obj is InertConfig or isinstance(obj, InertConfig):
        return None
    raise UnsafeCheckpoint(f"getattr({type(obj).__name__}, {name!r})")


class _RestrictedUnpickler(pickle.Unpickler):
    """Resolves only allow-listed globals; anything else (os.system, subprocess, builtins.eval, ...) is refused
    before it can be called."""

    _allowed = None

    def find_class(self, module, name):
        """Return the inert stand-in, the guarded getattr or an allow-listed global; refuse anything else."""
        key = f"{module}.{name}"
        if key in INERT_CLASSES:
            return InertConfig
        if key in ("builtins.getattr", "__builtin__.getattr"):
            return _inert_getattr
        if _RestrictedUnpickler._allowed is None:
            _RestrictedUnpickler._allowed = _allowed_globals()
        obj = _RestrictedUnpickler._allowed.get(key)
        if obj is None:
            raise UnsafeCheckpoint(key)
        return obj


_RESTRICTED_PICKLE = types.SimpleNamespace(__name__="restricted_pickle", Unpickler=_RestrictedUnpickler,
                                           load=lambda f, **kw: _RestrictedUnpickler(f, **kw).load())


def load_plain_pickle(path, encoding="ASCII"):
    """A pickle of plain containers and numpy arrays (e.g. CIFAR's batches), read without running code from it."""
    try:
        with open(path, "rb") as f:
            return _RestrictedUnpickler(f, encoding=encoding).load()
    except UnsafeCheckpoint as exc:
        raise BenchError(f"refusing to load {path}: unpickling it would call {exc}; expected plain lists, dicts "
                         "and numpy arrays") from None
    except (pickle.UnpicklingError, EOFError, ValueError) as exc:
        raise BenchError(f"cannot read {path} as a pickle: {exc}") from None


def read_checkpoint(path) -> dict:
    """Load a checkpoint file without executing code from it. Raises BenchError for unsafe or unreadable files."""
    path = Path(path)
    check_checkpoint_file(path)
    if path.suffix == ".safetensors":
        from safetensors.torch import load_file

        return load_file(str(path), device="cpu")
    try:
        return torch.load(path, map_location="cpu", pickle_module=_RESTRICTED_PICKLE, mmap=_is_zip(path))
    except UnsafeCheckpoint as exc:
        raise BenchError(f"refusing to load {path}: unpickling it would call {exc} (only tensors and plain "
                         "containers are accepted); re-save its state dict, or a .safetensors file, from a trusted "
                         "source") from None
    except Exception as exc:
        raise BenchError(f"cannot read checkpoint {path}: {type(exc).__name__}: {str(exc).splitlines()[0]}") from None


def check_checkpoint_file(path) -> None:
    """A cheap look at a checkpoint before anything runs (headers only, nothing unpickled): exists, has a known
    suffix, and its container is intact (a safetensors header; a zip archive's index; a pickle's first byte).
    Raises BenchError naming the problem, so a damaged file fails before a row or a work dir is written."""
    import pickle
    import zipfile

    path = Path(path)
    if not path.is_file():
        raise BenchError(f"checkpoint {path} does not exist; pass an existing file with --weights PATH")
    if path.suffix not in SUFFIXES:
        raise BenchError(f"checkpoint {path} has suffix {path.suffix!r}; expected one of {', '.join(SUFFIXES)}")
    if path.suffix == ".safetensors":
        from safetensors import safe_open

        try:
            with safe_open(str(path), framework="pt") as f:
                f.keys()
            return
        except Exception as exc:
            raise BenchError(f"cannot read {path} as safetensors ({str(exc).splitlines()[0]}): the file is damaged "
                             "or not a .safetensors file; download it again, or pass the .pth/.bin it came as") \
                from None
    if _is_zip(path):
        try:
            with zipfile.ZipFile(path) as archive:
                if not any(name.endswith("data.pkl") for name in archive.namelist()):
                    raise zipfile.BadZipFile("no data.pkl inside")
            return
        except zipfile.BadZipFile as exc:
            raise BenchError(f"cannot read checkpoint {path}: a damaged torch.save archive ({exc}); download it "
                             "again") from None
    with open(path, "rb") as f:
        head = f.read(2)
    if not (len(head) == 2 and head[0] == pickle.PROTO[0] and 2 <= head[1] <= pickle.HIGHEST_PROTOCOL):
        raise BenchError(f"cannot read checkpoint {path}: neither a torch.save file nor safetensors (it starts "
                         f"with {head!r}); pass a .pth/.bin/.safetensors model checkpoint")


def _is_zip(path) -> bool:
    with open(path, "rb") as f:
        return f.read(4) == b"PK\x03\x04"


def unwrap_state_dict(obj) -> Dict[str, torch.Tensor]:
    """Container (`model` / `state_dict` / `module` / bare) -> flat {key: tensor}, prefixes stripped."""
    for _ in range(2):  # e.g. {'state_dict': {'model': ...}} is rare but exists
        if isinstance(obj, dict):
            for key in CONTAINER_KEYS:
                if isinstance(obj.get(key), dict):
                    obj = obj[key]
                    break
    if not isinstance(obj, dict) or not any(isinstance(v, torch.Tensor) for v in obj.values()):
        raise BenchError("checkpoint holds no state dict (looked at the top level and under "
                         f"{', '.join(CONTAINER_KEYS)}); pass a model checkpoint")
    out = {}
    for key, value in obj.items():
        if not isinstance(value, torch.Tensor):
            continue
        for prefix in PREFIXES:
            if key.startswith(prefix):
                key = key[len(prefix):]
        out[key] = value
    return out


@dataclass
class Entry:
    """One checkpoint tensor's fate: loaded into `model_key` (after `transform`) or dropped for `reason`."""

    checkpoint_key: str
    tensor: Optional[torch.Tensor] = None
    model_key: Optional[str] = None
    transform: str = "copy"
    reason: Optional[Reason] = None


BUFFER_PATTERN = re.compile(r"(relative_position_index|relative_coords_table|attn_mask)$")


def common_drop(key: str) -> Optional[Reason]:
    """Reasons that hold for every family: pre-training decoder, mask token, classifier, rebuilt buffers."""
    if key.startswith("decoder."):
        return Reason.SIMMIM_DECODER
    if key == "mask_token":
        return Reason.MASK_TOKEN
    if key.startswith(("head.", "fc_norm.")) or key in ("head", "fc.weight", "fc.bias"):
        return Reason.CLASSIFIER_HEAD
    if BUFFER_PATTERN.search(key):
        return Reason.REBUILT_BUFFER
    return None


def map_entries(state_dict: Dict[str, torch.Tensor], convert) -> List[Entry]:
    """The loop every family filter shares: drop what `common_drop` names, let `convert(key, value)` return the
    Entries (usually one; a shared table copied to every block gives several) for the rest."""
    entries = []
    for key, value in state_dict.items():
        reason = common_drop(key)
        entries.extend([Entry(key, value, reason=reason)] if reason else convert(key, value))
    return entries


def identity_filter(state_dict: Dict[str, torch.Tensor], model, spec) -> List[Entry]:
    """Keys already in the model's naming (timm and plug-in checkpoints)."""
    return map_entries(state_dict, lambda key, value: [Entry(key, value, model_key=key)])
