"""One registry type for every kind of plug-in (backbones, tasks, datasets, evaluators): name -> object, where an
object may be a lazy "package.module:attr" string imported on first use, so listing stays fast. A second
registration under a taken name is refused; unknown names get close-match hints; plug-ins arrive by decorator,
`--include FILE`, or an entry-point group (an entry point naming a module registers on import; one naming a
function is called once)."""
import difflib
import importlib
from importlib.metadata import entry_points
from typing import Callable, Dict, Generic, Iterable, List, Optional, Sequence, TypeVar

from backbones.core.errors import BenchError

T = TypeVar("T")


def resolve(obj):
    """A lazy "module:attr" string -> the object it names; anything else is returned as it is."""
    if not isinstance(obj, str):
        return obj
    module, sep, attr = obj.partition(":")
    if not sep:
        raise BenchError(f"{obj!r} is not a 'module:attribute' reference")
    return getattr(importlib.import_module(module), attr)


class Registry(Generic[T]):
    """name -> T. `builtins` are modules imported (once, on first lookup) for the registrations they make;
    `entry_point_group` names the packaging entry points loaded then too; `fallback(name)` may build an entry for a
    name nobody registered (e.g. `timm:<model>`), returning None otherwise."""

    def __init__(self, kind: str, builtins: Sequence[str] = (), entry_point_group: Optional[str] = None,
                 fallback: Optional[Callable[[str], Optional[T]]] = None, hint: str = ""):
        self.kind, self.builtins, self.entry_point_group = kind, tuple(builtins), entry_point_group
        self.fallback, self.hint = fallback, hint
        self._entries: Dict[str, object] = {}
        self._aliases: Dict[str, str] = {}
        self._loaded = False

    def register(self, name: str, obj=None, *, aliases: Iterable[str] = ()):
        """Register `obj` (an object or a lazy "module:attr" string) under `name`; without `obj`, a decorator."""
        if obj is None:
            def decorate(target):
                self.register(name, target, aliases=aliases)
                return target
            return decorate
        self.load()  # built-ins first: a plug-in never takes their place (or the task's default dataset)
        known = self._entries.get(name)
        if name in self._aliases or (known is not None and known is not obj and known != obj):
            raise BenchError(f"{self.kind} {name!r} is registered twice; rename one of them")
        self._entries[name] = obj
        for alias in aliases:
            if self._aliases.get(alias, name) != name or alias in self._entries:
                raise BenchError(f"{self.kind} alias {alias!r} is taken; rename it")
            self._aliases[alias] = name
        return obj

    def load(self) -> None:
        """Import the built-in modules and the entry points (once)."""
        if self._loaded:
            return
        self._loaded = True
        for module in self.builtins:
            importlib.import_module(module)
        if self.entry_point_group:
            for ep in entry_points(group=self.entry_point_group):
                obj = ep.load()
                if callable(obj) and not isinstance(obj, type):
                    obj()

    def names(self) -> List[str]:
        """Registered names, sorted (aliases and fallback names not included)."""
        self.load()
        return sorted(self._entries)

    def registered(self) -> List[str]:
        """Registered names in registration order (built-ins first, then plug-ins)."""
        self.load()
        return list(self._entries)

    def __contains__(self, name: str) -> bool:
        self.load()
        return name in self._entries or name in self._aliases

    def canonical(self, name: str) -> str:
        """The registered name behind an alias (the name itself otherwise)."""
        self.load()
        return self._aliases.get(name, name)

    def get(self, name: str) -> T:
        """The object registered under `name` (or an alias), importing a lazy entry on first use."""
        self.load()
        key = self._aliases.get(name, name)
        if key in self._entries:
            obj = self._entries[key]
            if isinstance(obj, str):
                obj = self._entries[key] = resolve(obj)
            return obj
        if self.fallback is not None:
            made = self.fallback(name)
            if made is not None:
                return made
        close = difflib.get_close_matches(name, list(self._entries) + list(self._aliases), n=3)
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        raise BenchError(f"unknown {self.kind} {name!r}.{hint} Known: {', '.join(self.names())}"
                         + (f", {self.hint}" if self.hint else ""))

    def values(self) -> List[T]:
        """Every registered object (lazy entries imported), in name order."""
        return [self.get(n) for n in self.names()]


_INCLUDED: Dict[str, int] = {}  # resolved path -> mtime of the version imported in this process


def include_file(path) -> None:
    """Import a user Python file so its registrations run (`bench --include FILE`: backbones, tasks, datasets);
    a file already imported in this process, unchanged, is not imported again."""
    import importlib.util
    from pathlib import Path

    path = Path(path)
    if not path.is_file() or path.suffix != ".py":
        raise BenchError(f"--include {path}: no such .py file; pass the path of a Python file that registers "
                         "backbones, tasks or datasets")
    key, mtime = str(path.resolve()), path.stat().st_mtime_ns
    if _INCLUDED.get(key) == mtime:
        return
    spec = importlib.util.spec_from_file_location(f"bench_plugin_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    _INCLUDED[key] = mtime
