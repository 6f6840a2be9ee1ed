"""Find every message id the interface uses and compare them with the English catalogue.

Message ids are the Chinese strings themselves (see ``hotline.i18n``). They come from:

* templates (``.html``, ``.txt``, ``.j2`` under ``templates/`` and any ``templates`` folder
  under ``hotline/``):
  ``_('中文')`` and ``_("中文 {n}", n=...)``;
* Python under ``hotline/``, ``workflows/`` and ``classifier/``: the string-literal first
  argument of calls named ``_`` or ``gettext``, and of service errors (``InvalidInput``,
  ``NotFound``... any subclass of ``ServiceError``, and any other call whose name ends in
  Error/Input/Found/Forbidden/Conflict/Version/Attempts/Request/Unauthorized, when the literal
  contains Chinese and the name is not a class defined here outside the ``ServiceError`` tree);
* the values of the label tables ``LABELS_ZH``, ``ACTION_LABELS_ZH``, ``HTTP_MESSAGES``,
  ``EMERGENCY_LABELS_ZH``, ``ACTOR_NAMES_ZH`` and ``DURATION_WORDS``.

Run it after adding or changing interface text::

    python -m hotline.i18n_catalogue              # missing, stale and broken entries
    python -m hotline.i18n_catalogue --json       # missing ids as a JSON object to fill in
    python -m hotline.i18n_catalogue --prune      # drop stale entries from en.json
    python -m hotline.i18n_catalogue --unmarked   # Chinese text that bypasses the catalogue
"""

from __future__ import annotations

import argparse
import ast
import builtins
import json
import re
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from string import Formatter

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = Path(__file__).resolve().parent / "translations" / "en.json"

PYTHON_DIRS = ("hotline", "workflows", "classifier")
TEMPLATE_SUFFIXES = (".html", ".txt", ".j2", ".jinja")
SKIP_PARTS = {"migrations", "__pycache__", ".venv", "node_modules"}

#: Han ideographs, CJK punctuation, kana, bopomofo and full-width forms.
CJK_RE = re.compile(
    "[\u2e80-\u2fdf\u3000-\u303f\u3040-\u30ff\u3100-\u312f\u3190-\u31ff"
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef]"
)
CJK_RUN_RE = re.compile(CJK_RE.pattern + "+")
HAN_RE = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")

TRANSLATE_CALLS = {"_", "gettext"}
ERROR_BASE = "ServiceError"
ERROR_SUFFIXES = ("Error", "Input", "Found", "Forbidden", "Conflict", "Version", "Attempts",
                  "Request", "Unauthorized")
LABEL_TABLES = {"LABELS_ZH", "ACTION_LABELS_ZH", "HTTP_MESSAGES", "DURATION_WORDS",
                "EMERGENCY_LABELS_ZH", "ACTOR_NAMES_ZH"}

_QUOTED = r"'((?:[^'\\]|\\.)*)'|\"((?:[^\"\\]|\\.)*)\""
JINJA_CALL_RE = re.compile(r"(?<![\w.])_\(\s*(?:" + _QUOTED + r")(\s*[,)])?", re.S)
JINJA_CODE_RE = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.S)

Found = dict[str, set[str]]


def has_cjk(text: str) -> bool:
    return CJK_RE.search(text) is not None


def placeholders(text: str) -> list[str]:
    """The ``{name}`` fields of a format string, sorted (``{n:,}`` keeps its spec)."""
    try:
        parsed = list(Formatter().parse(text))
    except ValueError:
        return ["<malformed braces>"]
    fields = []
    for _literal, name, spec, conversion in parsed:
        if name is not None:
            fields.append("{" + name + (f"!{conversion}" if conversion else "")
                          + (f":{spec}" if spec else "") + "}")
    return sorted(fields)


# --- where to look ----------------------------------------------------------------------------

def _walk(base: Path, suffixes: Iterable[str]) -> Iterator[Path]:
    if not base.is_dir():
        return
    suffixes = tuple(suffixes)
    for path in sorted(base.rglob("*")):
        if path.is_file() and path.name.endswith(suffixes) and not SKIP_PARTS & set(path.parts):
            yield path


def template_files(root: Path) -> list[Path]:
    files = list(_walk(root / "templates", TEMPLATE_SUFFIXES))
    files += [p for p in _walk(root / "hotline", TEMPLATE_SUFFIXES) if "templates" in p.parts]
    return files


def python_files(root: Path) -> list[Path]:
    return [p for d in PYTHON_DIRS for p in _walk(root / d, (".py",))]


def _rel(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


# --- templates --------------------------------------------------------------------------------

def _unescape_jinja(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text, flags=re.S)


def _template_ids(text: str, where: str, found: Found, problems: list[str]) -> None:
    for match in JINJA_CALL_RE.finditer(text):
        raw = match.group(1) if match.group(1) is not None else match.group(2)
        line = text.count("\n", 0, match.start()) + 1
        if match.group(3) is None:
            problems.append(f"{where}:{line}: _() of an expression, not a plain string literal")
            continue
        found.setdefault(_unescape_jinja(raw), set()).add(f"{where}:{line}")


# --- Python -----------------------------------------------------------------------------------

def _call_name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _service_error_classes(trees: Iterable[ast.AST]) -> tuple[set[str], set[str]]:
    """Names of ``ServiceError`` subclasses defined here, and of other classes defined here."""
    bases: dict[str, set[str]] = {}
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                names = {_call_name(b) for b in node.bases} - {None}
                bases.setdefault(node.name, set()).update(names)  # type: ignore[arg-type]
    errors = {ERROR_BASE}
    grew = True
    while grew:
        more = {name for name, parents in bases.items() if parents & errors} - errors
        errors |= more
        grew = bool(more)
    standard = {name for name, value in vars(builtins).items()
                if isinstance(value, type) and issubclass(value, BaseException)}
    return errors, (set(bases) | standard) - errors


def _literals(node: ast.expr | None) -> list[str] | None:
    """The string(s) an argument can be: a literal, or either branch of ``a if c else b``."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        body, orelse = _literals(node.body), _literals(node.orelse)
        if body is not None and orelse is not None:
            return body + orelse
    return None


def _first_arg(call: ast.Call) -> ast.expr | None:
    if call.args:
        return call.args[0]
    for keyword in call.keywords:
        if keyword.arg == "message":
            return keyword.value
    return None


def _table_values(node: ast.expr | None) -> Iterator[str]:
    """Message ids among a label table's values: plain strings, and Chinese tuple members."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        yield node.value
    elif isinstance(node, ast.Tuple | ast.List):
        for item in node.elts:
            if isinstance(item, ast.Constant) and isinstance(item.value, str) and has_cjk(
                    item.value):
                yield item.value


class _PythonVisitor(ast.NodeVisitor):
    def __init__(self, where: str, errors: set[str], others: set[str], found: Found,
                 problems: list[str]) -> None:
        self.where, self.errors, self.others = where, errors, others
        self.found, self.problems = found, problems

    def add(self, text: str, node: ast.AST) -> None:
        if text.strip():
            self.found.setdefault(text, set()).add(f"{self.where}:{node.lineno}")

    def _is_error(self, name: str) -> bool:
        if name in self.errors:
            return True
        return name not in self.others and name.endswith(ERROR_SUFFIXES)

    def visit_Call(self, node: ast.Call) -> None:
        name = _call_name(node.func)
        arg = _first_arg(node)
        if name in TRANSLATE_CALLS:
            self._message(node, arg, strict=True)
        elif name and self._is_error(name) and arg is not None:
            self._message(node, arg, strict=False, cjk_only=name not in self.errors)
        elif (name in ("update", "get", "setdefault") and isinstance(node.func, ast.Attribute)
              and _call_name(node.func.value) in LABEL_TABLES):
            if name == "update":
                for value in node.args[:1]:
                    if isinstance(value, ast.Dict):
                        self._table(value)
                for keyword in node.keywords:
                    for text in _table_values(keyword.value):
                        self.add(text, node)
            elif len(node.args) > 1:
                for text in _table_values(node.args[1]):
                    self.add(text, node)
        self.generic_visit(node)

    def _message(self, node: ast.Call, arg: ast.expr | None, *, strict: bool,
                 cjk_only: bool = False) -> None:
        texts = _literals(arg)
        if texts is not None:
            for text in texts:
                if not cjk_only or has_cjk(text):
                    self.add(text, node)
        elif isinstance(arg, ast.JoinedStr) and (strict or any(
                isinstance(v, ast.Constant) and HAN_RE.search(str(v.value))
                for v in arg.values)):
            self.problems.append(f"{self.where}:{node.lineno}: f-string used as a message id; "
                                 "pass the values as {placeholders} instead")

    def _table(self, node: ast.Dict) -> None:
        for value in node.values:
            for text in _table_values(value):
                self.add(text, value)

    def _assigned(self, targets: list[ast.expr], value: ast.expr | None) -> None:
        for target in targets:
            if isinstance(target, ast.Subscript) and _call_name(target.value) in LABEL_TABLES:
                for text in _table_values(value):
                    self.add(text, target)
            elif _call_name(target) in LABEL_TABLES and isinstance(value, ast.Dict):
                self._table(value)

    def visit_Assign(self, node: ast.Assign) -> None:
        self._assigned(node.targets, node.value)
        self.generic_visit(node)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        self._assigned([node.target], node.value)
        self.generic_visit(node)


def _parse(paths: Iterable[Path], root: Path, problems: list[str]) -> dict[str, ast.AST]:
    trees = {}
    for path in paths:
        where = _rel(path, root)
        try:
            trees[where] = ast.parse(path.read_text(encoding="utf-8"), filename=where)
        except (SyntaxError, UnicodeDecodeError) as exc:
            problems.append(f"{where}: cannot parse ({exc})")
    return trees


# --- the catalogue ----------------------------------------------------------------------------

def scan(root: Path = ROOT) -> tuple[Found, list[str]]:
    """Message ids (each with the places it is used) and problems found on the way."""
    root = Path(root)
    found: Found = {}
    problems: list[str] = []
    for path in template_files(root):
        _template_ids(path.read_text(encoding="utf-8"), _rel(path, root), found, problems)
    trees = _parse(python_files(root), root, problems)
    errors, others = _service_error_classes(trees.values())
    for where, tree in trees.items():
        _PythonVisitor(where, errors, others, found, problems).visit(tree)
    return found, problems


def extract_message_ids(root: Path = ROOT) -> dict[str, set[str]]:
    """Every message id used under ``root``, mapped to the ``path:line`` places that use it."""
    return scan(root)[0]


def load_catalogue(path: Path = CATALOGUE) -> dict[str, str]:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def write_catalogue(entries: dict[str, str], path: Path = CATALOGUE) -> None:
    text = json.dumps(entries, ensure_ascii=False, indent=2)
    Path(path).write_text(text + "\n", encoding="utf-8")


def check(ids: Iterable[str], english: dict[str, str]) -> dict[str, list[str]]:
    """What is wrong with the catalogue, by kind: missing, stale, empty, placeholders, cjk."""
    ids = set(ids)
    report: dict[str, list[str]] = {
        "missing": sorted(ids - english.keys()),
        "stale": sorted(english.keys() - ids),
        "empty": [], "placeholders": [], "cjk": [],
    }
    for zh, en in english.items():
        if not isinstance(en, str) or not en.strip():
            report["empty"].append(zh)
            continue
        if placeholders(zh) != placeholders(en):
            report["placeholders"].append(zh)
        if has_cjk(en):
            report["cjk"].append(zh)
    return report


def unmarked(root: Path = ROOT) -> list[str]:
    """Chinese text shown without going through the catalogue (for review; some is fine)."""
    root = Path(root)
    ids = extract_message_ids(root)
    out = []
    for path in template_files(root):
        text = path.read_text(encoding="utf-8")
        start = 0
        for code in [*JINJA_CODE_RE.finditer(text), None]:
            end = code.start() if code else len(text)
            for found in CJK_RUN_RE.finditer(text, start, end):
                line = text.count("\n", 0, found.start()) + 1
                around = text[max(start, found.start() - 20):min(end, found.end() + 20)]
                out.append(f"{_rel(path, root)}:{line}: {around.strip()!r}")
            start = code.end() if code else end
    for where, tree in _parse(python_files(root), root, []).items():
        if where.endswith("i18n_catalogue.py"):
            continue
        docstrings = {id(n.value) for n in ast.walk(tree) if isinstance(n, ast.Expr)}
        for node in ast.walk(tree):
            if (isinstance(node, ast.Constant) and isinstance(node.value, str)
                    and id(node) not in docstrings and HAN_RE.search(node.value)
                    and node.value not in ids):
                out.append(f"{where}:{node.lineno}: {node.value[:60]!r}")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m hotline.i18n_catalogue",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, default=ROOT, help="project root")
    parser.add_argument("--catalogue", type=Path, default=CATALOGUE, help="en.json to check")
    parser.add_argument("--json", action="store_true",
                        help="print the missing ids as a JSON object to fill in and merge")
    parser.add_argument("--prune", action="store_true", help="remove stale entries")
    parser.add_argument("--unmarked", action="store_true",
                        help="list Chinese text in code and templates that is not a message id")
    args = parser.parse_args(argv)

    found, problems = scan(args.root)
    english = load_catalogue(args.catalogue)
    report = check(found, english)

    if args.unmarked:
        print("\n".join(unmarked(args.root)))
        return 0
    if args.json:
        missing = sorted(report["missing"], key=lambda zh: sorted(found[zh])[0])
        print(json.dumps(dict.fromkeys(missing, ""), ensure_ascii=False, indent=2))
        return 1 if missing else 0
    if args.prune and report["stale"]:
        write_catalogue({k: v for k, v in english.items() if k not in report["stale"]},
                        args.catalogue)
        print(f"removed {len(report['stale'])} stale entries from {args.catalogue}")
        report["stale"] = []

    titles = {
        "missing": "missing from the catalogue",
        "stale": "in the catalogue but no longer used (--prune removes them)",
        "empty": "with an empty translation",
        "placeholders": "whose translation changes the {placeholders}",
        "cjk": "whose translation still contains Chinese",
    }
    for kind, title in titles.items():
        if report[kind]:
            print(f"{len(report[kind])} message ids {title}:")
            for zh in report[kind]:
                where = ", ".join(sorted(found.get(zh, ()))[:3])
                print(f"  {json.dumps(zh, ensure_ascii=False)}" + (f"  ({where})" if where
                                                                     else ""))
    if problems:
        print(f"{len(problems)} problems:")
        print("\n".join(f"  {p}" for p in problems))
    bad = any(report.values()) or bool(problems)
    if not bad:
        print(f"{len(found)} message ids, all translated")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
