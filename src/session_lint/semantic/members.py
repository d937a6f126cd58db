"""Sessions kept on an object: `self.session` in a method of a class that stores one there.

A repository or service class often receives its session once (`def __init__(self,
session: Session): self.session = session`) and uses it in every method. The session
outlives each method call, so the methods must leave it usable. The attribute is a
session only when every assignment to it in the class stores a session (or None) and
nothing else: a class that sometimes stores a factory there is not followed.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Dict, FrozenSet, Optional, Set

import libcst as cst

from . import names

from .scopes import receiver_method
from .sessions import MEMBER, SessionRef

if TYPE_CHECKING:
    from . import SemanticModel

_NOT_METHODS = frozenset({"staticmethod", "classmethod"})


class MemberSessions:
    def __init__(self, model: "SemanticModel") -> None:
        self.model = model
        self._attributes: Optional[Dict[cst.ClassDef, FrozenSet[str]]] = None
        self._collecting = False

    def member_session(self, node: cst.BaseExpression) -> Optional[SessionRef]:
        """`self.<attribute>` where every assignment of the class stores a session there;
        `SessionAnalysis.session_of` asks this, so every rule sees these sessions."""
        if self._collecting or not isinstance(node, cst.Attribute) or not isinstance(node.value, cst.Name):
            return None
        owner = self.class_of_self(node.value)
        if owner is None or node.attr.value not in self._session_attributes().get(owner, frozenset()):
            return None
        return SessionRef(f"self.{node.attr.value}@{id(owner)}", self.model.source_of(node), MEMBER)

    def class_of_self(self, name: cst.Name) -> Optional[cst.ClassDef]:
        """The class whose instance `name` is: the first parameter of one of its methods."""
        _, bindings = self.model.scopes.bindings_of(name)
        found = receiver_method(bindings[0]) if len(bindings) == 1 else None
        if found is None:
            return None
        method, owner = found
        for decorator in method.decorators:
            if isinstance(decorator.decorator, cst.Name) and decorator.decorator.value in _NOT_METHODS:
                return None
        return owner

    def _session_attributes(self) -> Dict[cst.ClassDef, FrozenSet[str]]:
        if self._attributes is None:
            # What the class stores is judged with `session_of`, which asks back here.
            self._collecting = True
            try:
                self._attributes = self._collect()
            finally:
                self._collecting = False
        return self._attributes

    def _collect(self) -> Dict[cst.ClassDef, FrozenSet[str]]:
        tree = self.model.tree
        sessions: Dict[cst.ClassDef, Set[str]] = {}
        others: Dict[cst.ClassDef, Set[str]] = {}
        for statement in tree.of_type(cst.AnnAssign):
            if isinstance(statement.target, cst.Name):
                # `session: Session` in the class body declares what instances hold.
                owner = tree.enclosing(statement, (cst.ClassDef, cst.FunctionDef, cst.Lambda))
                if isinstance(owner, cst.ClassDef) and self._is_session_annotation(statement.annotation):
                    sessions.setdefault(owner, set()).add(statement.target.value)
                continue
            self._record(statement.target, statement.value, statement.annotation, sessions, others)
        for assign in tree.of_type(cst.Assign):
            for target in assign.targets:
                self._record(target.target, assign.value, None, sessions, others)
        return {owner: frozenset(names - others.get(owner, set())) for owner, names in sessions.items()}

    def _record(self, target: cst.BaseExpression, value: Optional[cst.BaseExpression],
                annotation: Optional[cst.Annotation], sessions: Dict[cst.ClassDef, Set[str]],
                others: Dict[cst.ClassDef, Set[str]]) -> None:
        if not isinstance(target, cst.Attribute) or not isinstance(target.value, cst.Name):
            return
        owner = self.class_of_self(target.value)
        if owner is None:
            return
        attribute = target.attr.value
        if isinstance(value, cst.Name) and value.value == "None":
            return  # "no session yet" says nothing about what the attribute holds
        if self._is_session_annotation(annotation) or self._is_session_value(value):
            sessions.setdefault(owner, set()).add(attribute)
        else:
            others.setdefault(owner, set()).add(attribute)

    def _is_session_value(self, value: Optional[cst.BaseExpression]) -> bool:
        if value is None:
            return False
        sessions = self.model.sessions
        if isinstance(value, cst.Call) and self.model.scopes.qualified_name(value.func) in names.SCOPED_SESSIONS:
            return True  # `self.db = scoped_session(maker)`: the registry proxies its session
        made = sessions.creation(value)
        if made is not None:
            return not made.autocommit
        return sessions.session_of(value) is not None

    def _is_session_annotation(self, annotation: Optional[cst.Annotation]) -> bool:
        return annotation is not None and self.model.sessions.is_session_annotation(annotation.annotation)
