"""Turn diagnostics into text for people, JSON for tools, annotations for GitHub, and the
report formats CI systems read (SARIF, GitLab code quality, JUnit XML, pylint's lines)."""
from __future__ import annotations

import hashlib
import json
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Mapping, Optional, Sequence

import click

from .diagnostics import ENGINE_CODES, Diagnostic
from .fixes import fix_to_json
from .rule_info import TOOL_NAME, RuleInfo

FORMATS = ("full", "concise", "json", "github", "sarif", "gitlab", "junit", "pylint")
LineSource = Callable[[str, int], Optional[str]]


@dataclass(frozen=True)
class ReportOptions:
    """What some formats need beside the findings."""

    rules: Mapping[str, RuleInfo] = field(default_factory=dict)
    # Where SARIF and GitLab paths are relative to (the project root).
    root: Path = field(default_factory=Path.cwd)
    unsafe_fixes: bool = False  # `[*]` marks the fixes `--fix` would apply
    color: bool = False


def format_diagnostics(diagnostics: Sequence[Diagnostic], output_format: str, lines: LineSource,
                       options: Optional[ReportOptions] = None) -> str:
    options = options or ReportOptions()
    if output_format == "json":
        return format_json(diagnostics, options.rules)
    if output_format == "github":
        return "".join(format_github(d) + "\n" for d in diagnostics)
    if output_format == "pylint":
        return "".join(format_pylint(d) + "\n" for d in diagnostics)
    if output_format == "sarif":
        from .baseline import fingerprints
        from .sarif import format_sarif

        return format_sarif(diagnostics, options.rules, options.root, fingerprints(diagnostics, lines, options.root))
    if output_format == "gitlab":
        return format_gitlab(diagnostics, lines, options.root)
    if output_format == "junit":
        return format_junit(diagnostics)
    if output_format == "concise":
        return "".join(format_concise(d, options) + "\n" for d in diagnostics)
    return "".join(format_full(d, lines, options) for d in diagnostics)


# Control characters, lone surrogates (undecodable bytes kept by surrogateescape), line and
# paragraph separators, and format characters such as bidi overrides.
_UNPRINTABLE = frozenset(("Cc", "Cs", "Zl", "Zp", "Cf"))
_SHORT_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def printable(text: str) -> str:
    """`text` safe for a line of text output: a newline in a file name would start a fake
    finding for whoever reads the lines, an escape sequence would drive the terminal, and a
    lone surrogate cannot be encoded at all. Those characters are written as escapes."""
    if text.isprintable():  # the common case: isprintable() is False for every character escaped
        return text
    return "".join(_escape(char) if unicodedata.category(char) in _UNPRINTABLE else char for char in text)


def _escape(char: str) -> str:
    if char in _SHORT_ESCAPES:
        return _SHORT_ESCAPES[char]
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:  # the byte that os.fsdecode could not decode
        return f"\\x{code - 0xDC00:02x}"
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def _style(text: str, color: bool, **styles: object) -> str:
    return click.style(text, **styles) if color else text  # type: ignore[arg-type]


def format_concise(diagnostic: Diagnostic, options: Optional[ReportOptions] = None) -> str:
    options = options or ReportOptions()
    color = options.color
    location = diagnostic.location
    colon = _style(":", color, fg="cyan")
    fixable = diagnostic.fix is not None and diagnostic.fix.applies(options.unsafe_fixes)
    return (f"{_style(printable(diagnostic.filename), color, bold=True)}{colon}{location.row}{colon}"
            f"{location.column}{colon} {_style(diagnostic.code, color, fg='red', bold=True)} "
            f"{_style('[*] ', color, fg='cyan') if fixable else ''}{printable(diagnostic.message)}")


def format_full(diagnostic: Diagnostic, lines: LineSource, options: Optional[ReportOptions] = None) -> str:
    options = options or ReportOptions()
    color = options.color
    out = [format_concise(diagnostic, options)]
    row = diagnostic.location.row
    text = lines(diagnostic.filename, row)
    if text is not None and diagnostic.code not in ENGINE_CODES:
        # (a line of a hostile file may hold escape sequences too)
        text = printable(text.rstrip("\r\n").expandtabs(4))
        gutter = " " * len(str(row))
        start = diagnostic.location.column - 1
        if diagnostic.end_location.row == row:
            width = max(1, diagnostic.end_location.column - diagnostic.location.column)
        else:
            width = max(1, len(text) - start)
        bar = _style("|", color, fg="blue", bold=True)
        out.append(f"{gutter} {bar}")
        out.append(f"{_style(str(row), color, fg='blue', bold=True)} {bar} {text}")
        out.append(f"{gutter} {bar} {' ' * start}{_style('^' * width + ' ' + diagnostic.code, color, fg='red', bold=True)}")
        if diagnostic.hint:
            out.append(f"{gutter} = {_style('help', color, bold=True)}: {printable(diagnostic.hint)}")
    elif diagnostic.hint:
        out.append(f"  = {_style('help', color, bold=True)}: {printable(diagnostic.hint)}")
    return "\n".join(out) + "\n\n"


def to_json_item(diagnostic: Diagnostic, rules: Mapping[str, RuleInfo] = {}) -> Dict[str, object]:
    """One finding with ruff's JSON keys, so tools that read ruff's output read ours, and
    the rule's name."""
    info = rules.get(diagnostic.code)
    return {
        "code": diagnostic.code,
        "name": info.name if info is not None else None,
        "message": diagnostic.message,
        "filename": diagnostic.filename,
        "location": {"row": diagnostic.location.row, "column": diagnostic.location.column},
        "end_location": {"row": diagnostic.end_location.row, "column": diagnostic.end_location.column},
        "fix": fix_to_json(diagnostic.fix),
        "url": diagnostic.url or (info.url if info is not None else None),
        "noqa_row": diagnostic.noqa_row,
    }


def format_json(diagnostics: Sequence[Diagnostic], rules: Mapping[str, RuleInfo] = {}) -> str:
    # ensure_ascii keeps the output valid whatever bytes a file name or message holds.
    return json.dumps([to_json_item(d, rules) for d in diagnostics], indent=2, ensure_ascii=True) + "\n"


def format_pylint(diagnostic: Diagnostic) -> str:
    """pylint's parseable lines, `path:row: [CODE] message`, as ruff writes them."""
    return (f"{printable(diagnostic.filename)}:{diagnostic.location.row}: [{diagnostic.code}] "
            f"{printable(diagnostic.message)}")


def format_gitlab(diagnostics: Sequence[Diagnostic], lines: LineSource, root: Path) -> str:
    """GitLab code quality: its merge request widget tells new findings from old ones by
    `fingerprint`, so the fingerprint is the baseline's (edits elsewhere leave it alone)."""
    from .baseline import fingerprints

    root = root.resolve()
    stable = fingerprints(diagnostics, lines, root)
    items = []
    for diagnostic in diagnostics:
        path = Path(diagnostic.filename).resolve()
        try:
            shown = path.relative_to(root).as_posix()
        except ValueError:
            shown = path.as_posix()
        fingerprint = stable.get(id(diagnostic)) or hashlib.sha256(
            "\0".join((shown, diagnostic.code, diagnostic.message)).encode("utf-8", "surrogateescape")).hexdigest()
        items.append({
            "description": f"{diagnostic.code} {diagnostic.message}",
            "check_name": diagnostic.code,
            "fingerprint": fingerprint,
            "severity": "critical" if diagnostic.code in ENGINE_CODES else "major",
            "location": {"path": shown,
                         "lines": {"begin": diagnostic.location.row, "end": diagnostic.end_location.row}},
        })
    return json.dumps(items, indent=2, ensure_ascii=True) + "\n"


def format_junit(diagnostics: Sequence[Diagnostic]) -> str:
    """JUnit XML: one test suite per file, one failed test case per finding (CI systems
    show them as failed tests); a clean run is one passing case."""
    import xml.etree.ElementTree as ElementTree

    suites = ElementTree.Element("testsuites", name=TOOL_NAME, tests=str(max(len(diagnostics), 1)),
                                 failures=str(len(diagnostics)), errors="0")
    by_file: Dict[str, List[Diagnostic]] = {}
    for diagnostic in diagnostics:
        by_file.setdefault(diagnostic.filename, []).append(diagnostic)
    if not diagnostics:
        suite = ElementTree.SubElement(suites, "testsuite", name=TOOL_NAME, tests="1", failures="0", errors="0")
        ElementTree.SubElement(suite, "testcase", name="No findings", classname=TOOL_NAME)
    for filename, found in by_file.items():
        name = _xml_text(filename)
        suite = ElementTree.SubElement(suites, "testsuite", name=name, tests=str(len(found)),
                                       failures=str(len(found)), errors="0")
        for diagnostic in found:
            case = ElementTree.SubElement(suite, "testcase", name=f"org.session-lint.{diagnostic.code}",
                                          classname=name, file=name, line=str(diagnostic.location.row))
            failure = ElementTree.SubElement(case, "failure", message=_xml_text(diagnostic.message),
                                             type=diagnostic.code)
            failure.text = _xml_text(f"line {diagnostic.location.row}, col {diagnostic.location.column}, "
                                     f"{diagnostic.code} {diagnostic.message}")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ElementTree.tostring(suites, encoding="unicode") + "\n"


def _xml_text(text: str) -> str:
    # XML 1.0 cannot hold control characters at all, escaped or not.
    return printable(text)


def _escape_data(value: str) -> str:
    value = value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return printable(value)  # what is left: other control characters, undecodable bytes


def _escape_property(value: str) -> str:
    return _escape_data(value).replace(":", "%3A").replace(",", "%2C")


def format_github(diagnostic: Diagnostic) -> str:
    level = "error" if diagnostic.code in ENGINE_CODES else "warning"
    properties = ",".join(
        [
            f"file={_escape_property(diagnostic.filename)}",
            f"line={diagnostic.location.row}",
            f"col={diagnostic.location.column}",
            f"endLine={diagnostic.end_location.row}",
            f"endColumn={diagnostic.end_location.column}",
            f"title={_escape_property(diagnostic.code)}",
        ]
    )
    return f"::{level} {properties}::{_escape_data(diagnostic.code + ' ' + diagnostic.message)}"


def format_statistics(diagnostics: Sequence[Diagnostic], names: Dict[str, str], output_format: str = "full",
                      unsafe_fixes: bool = False) -> str:
    counts = Counter(d.code for d in diagnostics)
    if output_format == "json":
        fixable = {d.code for d in diagnostics if d.fix is not None and d.fix.applies(unsafe_fixes)}
        items = [{"code": code, "name": names.get(code, ""), "count": count, "fixable": code in fixable}
                 for code, count in sorted(counts.items(), key=lambda item: (-item[1], item[0]))]
        return json.dumps(items, indent=2, ensure_ascii=True) + "\n"
    rows: List[str] = []
    for code, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        rows.append(f"{count:>5}\t{code}\t{names.get(code, '')}")
    return "\n".join(rows) + ("\n" if rows else "")
