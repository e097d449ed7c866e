"""Fast construction of frozen slots dataclasses on the hot path.

A frozen dataclass's ``__init__`` sets each field through ``object.__setattr__``, which costs
about twice the whole construction done here: the instance is made with ``object.__new__`` and
each field set through its slot's own setter. The objects are the same frozen dataclasses
(equality, repr and immutability unchanged); only the way in differs.
"""
from __future__ import annotations

from typing import Any, Callable

__all__ = ["slots_builder"]


def slots_builder(cls: type, fields: tuple[str, ...]) -> Callable[..., Any]:
    """``build(*values)`` -> an instance of ``cls`` with ``fields`` set to ``values`` in order
    (every field of ``cls`` must be given: nothing else runs, defaults included)."""
    names = [f"v{i}" for i in range(len(fields))]
    env: dict[str, Any] = {"new": object.__new__, "cls": cls}
    body = []
    for index, name in enumerate(fields):
        env[f"set{index}"] = cls.__dict__[name].__set__
        body.append(f"    set{index}(obj, v{index})")
    source = (f"def build({', '.join(names)}):\n    obj = new(cls)\n" + "\n".join(body)
              + "\n    return obj\n")
    exec(compile(source, f"<slots_builder {cls.__name__}>", "exec"), env)  # noqa: S102 - our names
    return env["build"]
