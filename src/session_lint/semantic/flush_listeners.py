"""Mapper flush-event listeners: functions SQLAlchemy calls with `(mapper, connection,
target)` while it writes `target` (`before_insert`, `after_update`, ...).

Inside such a listener the rows `target` refers to are part of the same flush: the unit of
work writes a row's parents before the row, and a foreign key that named no row would have
failed the INSERT. A lookup keyed by what the target holds (`target.database_id`,
`target.parent.id`) reads a row that is there; ORM201 asks `listener_target()`.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Dict, Optional, Tuple

import libcst as cst

from .nodes import callee_name
from .scopes import dotted_name

if TYPE_CHECKING:
    from . import SemanticModel as SemanticModel

MAPPER_FLUSH_EVENTS = frozenset({"before_insert", "after_insert", "before_update", "after_update",
                                 "before_delete", "after_delete"})
_LISTEN_CALLS = frozenset({"listen", "listens_for"})


class FlushListeners:
    """`model.get(FlushListeners)`: which functions of the module are mapper flush listeners."""

    def __init__(self, model: "SemanticModel") -> None:
        self.model = model
        self._registered = _registered_classes(model)
        self._targets: Dict[cst.FunctionDef, Optional[Tuple[str, Optional[str]]]] = {}

    def listener_target(self, node: cst.CSTNode) -> Optional[Tuple[str, Optional[str]]]:
        """(the written object's parameter, its class as written when known) when `node` is
        inside a flush listener (its innermost function); None elsewhere."""
        function = self.model.tree.enclosing(node, (cst.FunctionDef,))
        if not isinstance(function, cst.FunctionDef):
            return None
        if function not in self._targets:
            self._targets[function] = self._target_of(function)
        return self._targets[function]

    def _target_of(self, function: cst.FunctionDef) -> Optional[Tuple[str, Optional[str]]]:
        params = list(function.params.params)
        if [param.name.value for param in params[:1]] in (["self"], ["cls"]):
            params = params[1:]
        if len(params) < 3:
            return None
        target = params[2]
        decorated = _decorator_class(function)
        name = function.name.value
        if decorated is None and name not in self._registered and not _mapper_event_signature(params):
            return None
        written = decorated or self._registered.get(name) or _annotated_class(target)
        return target.name.value, written or None


def _decorator_class(function: cst.FunctionDef) -> Optional[str]:
    """`Model` of `@event.listens_for(Model, "before_insert")`; None when not so decorated
    ("" when the class is not a plain name)."""
    for decorator in function.decorators:
        call = decorator.decorator
        if isinstance(call, cst.Call) and callee_name(call) == "listens_for" and _flush_event(call):
            return dotted_name(call.args[0].value) or ""
    return None


def _registered_classes(model: "SemanticModel") -> Dict[str, str]:
    """Functions the module registers itself, with the class they listen on:
    `event.listen(Model, "after_insert", on_insert)` (also `Class.on_insert`)."""
    found: Dict[str, str] = {}
    for call in model.tree.of_type(cst.Call):
        if callee_name(call) != "listen" or not _flush_event(call) or len(call.args) < 3:
            continue
        handler = call.args[2].value
        written = dotted_name(call.args[0].value) or ""
        if isinstance(handler, cst.Name):
            found[handler.value] = written
        elif isinstance(handler, cst.Attribute):
            found[handler.attr.value] = written
    return found


def _annotated_class(param: cst.Param) -> Optional[str]:
    """`SqlaTable` of `target: SqlaTable` or `target: "SqlaTable"`."""
    if param.annotation is None:
        return None
    annotation = param.annotation.annotation
    if isinstance(annotation, cst.SimpleString):
        text = annotation.evaluated_value
        return text if isinstance(text, str) and text.replace(".", "").isidentifier() else None
    return dotted_name(annotation)


def _flush_event(call: cst.Call) -> bool:
    return len(call.args) >= 2 and isinstance(call.args[1].value, cst.SimpleString) \
        and call.args[1].value.evaluated_value in MAPPER_FLUSH_EVENTS


def _mapper_event_signature(params: "list[cst.Param]") -> bool:
    """`(mapper, connection, target)`, SQLAlchemy's documented signature, also when another
    listener forwards to the function (`security_manager.dataset_after_insert(mapper,
    connection, target)`); or the first two parameters annotated `Mapper` and `Connection`."""
    if [param.name.value for param in params[:2]] == ["mapper", "connection"]:
        return True
    annotated = [_annotated_class(param) or "" for param in params[:2]]
    return [text.rpartition(".")[2].split("[")[0] for text in annotated] == ["Mapper", "Connection"]
