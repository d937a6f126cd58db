"""SARIF 2.1.0, the format GitHub code scanning (and most CI dashboards) read."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, Mapping, Optional, Sequence
from urllib.parse import quote

from .diagnostics import ENGINE_CODES, Diagnostic, Location
from .fixes import Fix
from .rule_info import HOMEPAGE, TOOL_NAME, TOOL_VERSION, RuleInfo

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_ROOT = "%SRCROOT%"


def format_sarif(diagnostics: Sequence[Diagnostic], rules: Mapping[str, RuleInfo], root: Path,
                 fingerprints: Optional[Mapping[int, str]] = None) -> str:
    """One run: every rule that ran (so a dashboard can tell a fixed alert from a rule that
    no longer runs), then the results, located relative to the project root.
    `fingerprints` maps id(diagnostic) to a line-independent fingerprint."""
    codes = sorted(set(rules) | {d.code for d in diagnostics})
    index = {code: position for position, code in enumerate(codes)}
    root = root.resolve()
    run: Dict[str, Any] = {
        "tool": {"driver": {
            "name": TOOL_NAME,
            "version": TOOL_VERSION,
            "informationUri": HOMEPAGE,
            "rules": [_rule(code, rules.get(code)) for code in codes],
        }},
        "originalUriBaseIds": {_ROOT: {"uri": root.as_uri() + "/"}},
        "columnKind": "unicodeCodePoints",
        "results": [_result(d, index[d.code], root, (fingerprints or {}).get(id(d))) for d in diagnostics],
    }
    log = {"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}
    return json.dumps(log, indent=2, ensure_ascii=True) + "\n"


def _rule(code: str, info: Optional[RuleInfo]) -> Dict[str, Any]:
    rule: Dict[str, Any] = {"id": code}
    if info is None:
        return rule
    rule["name"] = info.name
    rule["shortDescription"] = {"text": info.summary}
    if info.url:
        rule["helpUri"] = info.url
    page = info.page()
    if page:
        rule["help"] = {"text": info.summary, "markdown": page}
    level = "error" if code in ENGINE_CODES else "warning"
    rule["defaultConfiguration"] = {"level": level}
    return rule


def _uri(filename: str, root: Path) -> Dict[str, str]:
    path = Path(filename).resolve()
    try:
        return {"uri": quote(path.relative_to(root).as_posix()), "uriBaseId": _ROOT}
    except ValueError:
        return {"uri": path.as_uri()}


def _region(start: Location, end: Location) -> Dict[str, int]:
    region = {"startLine": start.row, "startColumn": start.column}
    if end >= start:
        region.update(endLine=end.row, endColumn=end.column)
    return region


def _result(diagnostic: Diagnostic, rule_index: int, root: Path, fingerprint: Optional[str]) -> Dict[str, Any]:
    artifact = _uri(diagnostic.filename, root)
    result: Dict[str, Any] = {
        "ruleId": diagnostic.code,
        "ruleIndex": rule_index,
        "level": "error" if diagnostic.code in ENGINE_CODES else "warning",
        "message": {"text": diagnostic.message + (f"\nhelp: {diagnostic.hint}" if diagnostic.hint else "")},
        "locations": [{"physicalLocation": {
            "artifactLocation": artifact,
            "region": _region(diagnostic.location, diagnostic.end_location),
        }}],
    }
    if fingerprint:
        result["partialFingerprints"] = {"sessionLint/v1": fingerprint}
    if diagnostic.fix is not None and diagnostic.fix.edits:
        result["fixes"] = [_fix(diagnostic.fix, artifact)]
    return result


def _fix(fix: Fix, artifact: Dict[str, str]) -> Dict[str, Any]:
    return {
        "description": {"text": f"{fix.message} ({fix.applicability.value} fix)"},
        "artifactChanges": [{
            "artifactLocation": artifact,
            "replacements": [{"deletedRegion": _region(edit.location, edit.end_location),
                              "insertedContent": {"text": edit.content}} for edit in fix.edits],
        }],
    }
