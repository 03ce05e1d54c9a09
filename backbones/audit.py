"""The load audit: every checkpoint tensor loaded (with its model key and transform) or dropped with a reason; every
model parameter / persistent buffer loaded or listed as missing with a reason. Failing audits stop the run."""
from dataclasses import asdict, dataclass, field
from typing import List

import torch

from backbones.checkpoint import Entry
from backbones.core.errors import BenchError
from backbones.spec import Reason


@dataclass
class LoadAudit:
    """What a checkpoint load did: tensors loaded, dropped and missing, and the reasons the run accepts."""
    checkpoint: str
    checkpoint_sha256: str
    n_checkpoint_tensors: int
    loaded: List[dict] = field(default_factory=list)
    dropped: List[dict] = field(default_factory=list)
    missing: List[dict] = field(default_factory=list)
    allowed_reasons: List[str] = field(default_factory=list)

    def problems(self) -> List[str]:
        """Describe each dropped or missing tensor whose reason is not in `allowed_reasons`."""
        out = [f"checkpoint tensor {d['checkpoint_key']} dropped: {d['reason']}"
               for d in self.dropped if d["reason"].split(" ")[0] not in self.allowed_reasons]
        out += [f"model tensor {m['model_key']} not loaded: {m['reason']}"
                for m in self.missing if m["reason"] not in self.allowed_reasons]
        return out

    @property
    def ok(self) -> bool:
        """Whether the audit has no problems."""
        return not self.problems()

    def summary(self) -> dict:
        """Counts of loaded, dropped, missing tensors and problems, the ok flag and the non-copy transforms."""
        return {"checkpoint_sha256": self.checkpoint_sha256, "n_checkpoint_tensors": self.n_checkpoint_tensors,
                "n_loaded": len(self.loaded), "n_dropped": len(self.dropped), "n_missing": len(self.missing),
                "n_problems": len(self.problems()), "ok": self.ok,
                "transforms": sorted({e["transform"] for e in self.loaded if e["transform"] != "copy"})}

    def to_dict(self) -> dict:
        return {**asdict(self), "ok": self.ok, "problems": self.problems()}


def apply_entries(model: torch.nn.Module, entries: List[Entry], *, checkpoint: str, sha256: str,
                  n_tensors: int, allowed, allow_missing: bool = False) -> LoadAudit:
    """Copy the mapped tensors into `model` in place and return the audit; raise if it fails (unless allowed)."""
    audit = LoadAudit(checkpoint, sha256, n_tensors, allowed_reasons=[Reason(r).value for r in allowed])
    target = model.state_dict(keep_vars=True)  # persistent parameters and buffers, by name
    filled = set()
    for e in entries:
        dst = target.get(e.model_key) if e.model_key else None
        reason = e.reason
        if reason is None and dst is None:
            reason = Reason.NOT_IN_MODEL
        elif reason is None and dst.shape != e.tensor.shape:
            reason = Reason.SHAPE_MISMATCH
        if reason is not None:
            detail = "" if reason != Reason.SHAPE_MISMATCH else f" ({tuple(e.tensor.shape)} vs {tuple(dst.shape)})"
            audit.dropped.append({"checkpoint_key": e.checkpoint_key, "reason": Reason(reason).value + detail})
            continue
        with torch.no_grad():
            dst.copy_(e.tensor.to(dst.dtype))
        filled.add(e.model_key)
        audit.loaded.append({"checkpoint_key": e.checkpoint_key, "model_key": e.model_key, "transform": e.transform})
    for key in target:
        if key not in filled:
            audit.missing.append({"model_key": key, "reason": Reason.NOT_IN_CHECKPOINT.value})
    if not audit.ok and not allow_missing:
        problems = audit.problems()
        raise BenchError(f"load audit failed for {checkpoint}: {len(problems)} problem(s), first: {problems[0]}. "
                         "Check the backbone name and checkpoint, or pass --allow-missing to accept random init")
    return audit
