"""The ConnectWise `conditions` language: tokenize -> parse to an AST -> compile to SQL.

Grammar (keywords are case-insensitive)::

    expr       := and_expr ("or" and_expr)*
    and_expr   := unary ("and" unary)*
    unary      := "not" unary | "(" expr ")" | comparison
    comparison := PATH ("=" | "!=" | "<>" | "<" | "<=" | ">" | ">=") value
                | PATH ["not"] ("contains" | "like") value
                | PATH ["not"] "in" "(" value ("," value)* ")"
    value      := "string" | [datetime] | number | true | false | null

PATH is `name(/name)*`. The compiler never puts user text into SQL: field paths are
mapped by a caller-supplied resolver to trusted SQL expressions, values become `?`
parameters. Hostile input is bounded: input length, nesting depth and the number of
comparisons are capped, and every problem is a `ConditionError` naming the position
(1-based character offset).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

MAX_LENGTH = 10_000
MAX_DEPTH = 50
MAX_COMPARISONS = 1_000
MAX_PARAMETERS = 5_000

DIGITS = "0123456789"
MAX_NUMBER_LENGTH = 40
MIN_INTEGER, MAX_INTEGER = -(2**63), 2**63 - 1
KEYWORDS = {"and", "or", "not", "contains", "like", "in", "true", "false", "null"}
COMPARISON_OPS = {"=", "!=", "<", "<=", ">", ">="}
OPERATOR_LIST = "=, !=, <, <=, >, >=, contains, like, not contains, not like, in, not in"

_PATH_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:/[A-Za-z_][A-Za-z0-9_]*)*")
_NUMBER_RE = re.compile(r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)", re.ASCII)
_DATETIME_RE = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})"
    r"(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?"
    r"\s*(Z|[+-]\d{2}:?\d{2})?",
    re.IGNORECASE | re.ASCII,
)


class ConditionError(ValueError):
    """A malformed or unsupported condition; `position` is 1-based, None when unknown."""

    def __init__(self, message: str, position: int | None = None) -> None:
        self.message = message
        self.position = position
        where = f" at position {position}" if position is not None else ""
        super().__init__(f"{message}{where}")


# ---------------------------------------------------------------- tokens


@dataclass(frozen=True)
class Token:
    kind: str  # "path", "keyword", "op", "string", "datetime", "number", "(", ")", ",", "end"
    text: str
    pos: int  # 1-based
    value: object = None


def _describe(token: Token) -> str:
    if token.kind == "end":
        return "end of conditions"
    text = token.text if len(token.text) <= 40 else token.text[:37] + "..."
    return f"'{text}'"


def format_datetime(moment: datetime) -> str:
    """The one stored shape for date-times: UTC, second precision, `Z` suffix."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_datetime(text: str) -> str | None:
    """Normalise an ISO-8601 date or date-time to the stored shape; None if not one."""
    match = _DATETIME_RE.fullmatch(text.strip())
    if not match:
        return None
    year, month, day, hour, minute, second, zone = match.groups()
    try:
        moment = datetime(
            int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0)
        )
    except ValueError:
        return None
    if zone and zone.upper() != "Z":
        sign = 1 if zone[0] == "+" else -1
        digits = zone[1:].replace(":", "")
        offset_minutes = sign * (int(digits[:2]) * 60 + int(digits[2:]))
        moment = moment - timedelta(minutes=offset_minutes)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def tokenize(text: str) -> list[Token]:
    if len(text) > MAX_LENGTH:
        raise ConditionError(
            f"conditions are too long ({len(text)} characters, at most {MAX_LENGTH})"
        )
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        pos = i + 1
        if char.isspace():
            i += 1
        elif char in "(),":
            tokens.append(Token(char, char, pos))
            i += 1
        elif char in "=<>!":
            two = text[i : i + 2]
            if two in ("!=", "<>", "<=", ">="):
                tokens.append(Token("op", "!=" if two == "<>" else two, pos))
                i += 2
            elif char == "!":
                raise ConditionError("unknown operator '!' (did you mean '!='?)", pos)
            else:
                tokens.append(Token("op", char, pos))
                i += 1
        elif char == '"':
            i, value = _read_string(text, i)
            tokens.append(Token("string", text[pos - 1 : i], pos, value))
        elif char == "'":
            raise ConditionError("strings must be in double quotes, not single quotes", pos)
        elif char == "[":
            end = text.find("]", i + 1)
            if end < 0:
                raise ConditionError("missing ']' to close the date/time started", pos)
            raw = text[i + 1 : end]
            value = parse_datetime(raw)
            if value is None:
                raise ConditionError(
                    f"invalid date/time '[{raw[:40]}]' (expected [YYYY-MM-DD] or "
                    "[YYYY-MM-DDTHH:MM:SSZ])",
                    pos,
                )
            tokens.append(Token("datetime", text[i : end + 1], pos, value))
            i = end + 1
        elif char == "]":
            raise ConditionError("unexpected ']' without a matching '['", pos)
        elif char in DIGITS or (char in "-+." and i + 1 < n and text[i + 1] in DIGITS):
            match = _NUMBER_RE.match(text, i)
            assert match is not None
            end = match.end()
            if end - i > MAX_NUMBER_LENGTH:
                raise ConditionError(f"number '{text[i : i + 40]}...' is too long", pos)
            if end < n and (text[end].isalnum() or text[end] in "_/"):
                raise ConditionError(f"invalid number '{text[i : end + 1]}'", pos)
            raw = match.group()
            value = float(raw) if "." in raw else int(raw)
            # SQLite stores 64-bit integers; anything wider cannot match and cannot be bound.
            if isinstance(value, int) and not MIN_INTEGER <= value <= MAX_INTEGER:
                raise ConditionError(f"number '{raw[:40]}' is out of range", pos)
            tokens.append(Token("number", raw, pos, value))
            i = end
        elif (char.isascii() and char.isalpha()) or char == "_":
            match = _PATH_RE.match(text, i)
            assert match is not None
            end = match.end()
            if end < n and text[end] == "/":
                raise ConditionError(f"incomplete field path '{text[i : end + 1]}'", pos)
            word = match.group()
            if word.lower() in KEYWORDS:
                tokens.append(Token("keyword", word.lower(), pos))
            else:
                tokens.append(Token("path", word, pos))
            i = end
        else:
            raise ConditionError(f"unexpected character '{char}'", pos)
    tokens.append(Token("end", "", n + 1))
    return tokens


def _read_string(text: str, start: int) -> tuple[int, str]:
    """Read a double-quoted string at `start`; `\\"` and `\\\\` are escapes."""
    parts: list[str] = []
    i, n = start + 1, len(text)
    while i < n:
        char = text[i]
        if char == "\\" and i + 1 < n and text[i + 1] in '"\\':
            parts.append(text[i + 1])
            i += 2
        elif char == '"':
            return i + 1, "".join(parts)
        else:
            parts.append(char)
            i += 1
    raise ConditionError("unterminated string (missing closing '\"') starting", start + 1)


# ---------------------------------------------------------------- AST


@dataclass(frozen=True)
class Value:
    kind: str  # "string", "datetime", "number", "bool", "null"
    value: object
    pos: int


@dataclass(frozen=True)
class Comparison:
    path: str
    op: str  # = != < <= > >= contains like in (negated carries "not")
    value: Value | tuple[Value, ...]
    negated: bool
    pos: int
    op_pos: int


@dataclass(frozen=True)
class And:
    parts: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    parts: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    part: Node


Node = Comparison | And | Or | Not


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.index = 0
        self.depth = 0
        self.comparisons = 0
        self.values = 0

    @property
    def token(self) -> Token:
        return self.tokens[self.index]

    def advance(self) -> Token:
        token = self.tokens[self.index]
        if token.kind != "end":
            self.index += 1
        return token

    def is_keyword(self, word: str) -> bool:
        return self.token.kind == "keyword" and self.token.text == word

    def parse(self) -> Node:
        node = self.expr()
        token = self.token
        if token.kind == ")":
            raise ConditionError("unexpected ')' without a matching '('", token.pos)
        if token.kind != "end":
            raise ConditionError(
                f"expected 'and', 'or' or the end of conditions, found {_describe(token)}",
                token.pos,
            )
        return node

    def enter(self, pos: int) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ConditionError(f"conditions are nested too deeply (more than {MAX_DEPTH})", pos)

    def expr(self) -> Node:
        parts = [self.and_expr()]
        while self.is_keyword("or"):
            self.advance()
            parts.append(self.and_expr())
        return parts[0] if len(parts) == 1 else Or(tuple(parts))

    def and_expr(self) -> Node:
        parts = [self.unary()]
        while self.is_keyword("and"):
            self.advance()
            parts.append(self.unary())
        return parts[0] if len(parts) == 1 else And(tuple(parts))

    def unary(self) -> Node:
        token = self.token
        if token.kind == "keyword" and token.text == "not":
            self.advance()
            self.enter(token.pos)
            node = Not(self.unary())
            self.depth -= 1
            return node
        if token.kind == "(":
            self.advance()
            self.enter(token.pos)
            node = self.expr()
            if self.token.kind != ")":
                if self.token.kind == "end":
                    raise ConditionError("missing ')' to close the '(' opened", token.pos)
                raise ConditionError(
                    f"expected ')' or 'and'/'or', found {_describe(self.token)}", self.token.pos
                )
            self.advance()
            self.depth -= 1
            return node
        return self.comparison()

    def comparison(self) -> Comparison:
        field = self.token
        if field.kind != "path":
            if field.kind == "end":
                raise ConditionError(
                    "expected a field name or '(', found end of conditions", field.pos
                )
            raise ConditionError(
                f"expected a field name or '(', found {_describe(field)}", field.pos
            )
        self.advance()
        self.comparisons += 1
        if self.comparisons > MAX_COMPARISONS:
            raise ConditionError(f"too many comparisons (at most {MAX_COMPARISONS})", field.pos)
        op_token = self.token
        negated = False
        if op_token.kind == "keyword" and op_token.text == "not":
            self.advance()
            negated = True
            after = self.token
            if not (after.kind == "keyword" and after.text in ("like", "contains", "in")):
                raise ConditionError(
                    f"expected 'like', 'contains' or 'in' after 'not', found {_describe(after)}",
                    after.pos,
                )
            op_token = after
        if op_token.kind == "op":
            op = op_token.text
        elif op_token.kind == "keyword" and op_token.text in ("like", "contains", "in"):
            op = op_token.text
        elif op_token.kind == "end":
            raise ConditionError(
                f"expected an operator after '{field.text}' ({OPERATOR_LIST})", op_token.pos
            )
        elif op_token.kind == "path":
            raise ConditionError(
                f"unknown operator '{op_token.text}' (expected one of {OPERATOR_LIST})",
                op_token.pos,
            )
        else:
            raise ConditionError(
                f"expected an operator after '{field.text}', found {_describe(op_token)}",
                op_token.pos,
            )
        self.advance()
        if op == "in":
            value: Value | tuple[Value, ...] = self.value_list(op_token)
        else:
            value = self.value(op_token)
        return Comparison(field.text, op, value, negated, field.pos, op_token.pos)

    def value(self, after: Token) -> Value:
        token = self.token
        self.values += 1
        if self.values > MAX_PARAMETERS:
            raise ConditionError(f"too many values (at most {MAX_PARAMETERS})", token.pos)
        if token.kind in ("string", "datetime", "number"):
            self.advance()
            return Value(token.kind, token.value, token.pos)
        if token.kind == "keyword" and token.text in ("true", "false"):
            self.advance()
            return Value("bool", token.text == "true", token.pos)
        if token.kind == "keyword" and token.text == "null":
            self.advance()
            return Value("null", None, token.pos)
        if token.kind == "end":
            raise ConditionError(f"expected a value after '{after.text}'", token.pos)
        if token.kind == "path":
            raise ConditionError(
                f"expected a value after '{after.text}', found {_describe(token)} "
                '(strings need double quotes, e.g. "text")',
                token.pos,
            )
        raise ConditionError(
            f"expected a value after '{after.text}', found {_describe(token)}", token.pos
        )

    def value_list(self, in_token: Token) -> tuple[Value, ...]:
        opening = self.token
        if opening.kind != "(":
            raise ConditionError(
                f"expected '(' after 'in', found {_describe(opening)}", opening.pos
            )
        self.advance()
        if self.token.kind == ")":
            raise ConditionError("expected at least one value in 'in (...)'", self.token.pos)
        values = [self.value(in_token)]
        while self.token.kind == ",":
            comma = self.advance()
            values.append(self.value(comma))
        if self.token.kind != ")":
            if self.token.kind == "end":
                raise ConditionError("missing ')' to close the 'in (' list opened", opening.pos)
            raise ConditionError(
                f"expected ',' or ')' in the 'in' list, found {_describe(self.token)}",
                self.token.pos,
            )
        self.advance()
        return tuple(values)


def parse(text: str) -> Node | None:
    """Parse a conditions string into an AST; None when it is empty or blank."""
    tokens = tokenize(text)
    if tokens[0].kind == "end":
        return None
    return _Parser(tokens).parse()


# ---------------------------------------------------------------- SQL


@dataclass(frozen=True)
class FieldRef:
    """What a resolver answers for a field path: a trusted SQL expression and a type.

    type is one of "int", "float", "str", "bool", "datetime".
    """

    sql: str
    type: str


Resolver = Callable[[str, int], FieldRef]

_TYPE_WORDS = {
    "int": "a number",
    "float": "a number",
    "str": "text",
    "bool": "true or false",
    "datetime": "a date/time",
}


def like_pattern(pattern: str) -> str:
    """A ConnectWise like pattern (`*` or `%` for any run) as a SQL LIKE with `\\` escape."""
    out = []
    for char in pattern:
        if char in "*%":
            out.append("%")
        elif char in "_\\":
            out.append("\\" + char)
        else:
            out.append(char)
    return "".join(out)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def compile_sql(node: Node, resolve: Resolver) -> tuple[str, list]:
    """Compile an AST to a parenthesised SQL boolean expression and its parameters."""
    sql, params = _compile(_normalise(node), resolve)
    return f"({sql})", params


# SQLite's parser has a fixed stack (about 100 entries; each open parenthesis and each
# pending operator takes one) and caps expression trees at 1000 deep. To keep any nesting
# MAX_DEPTH allows within both: NOT is pushed down to the comparisons (De Morgan holds in
# SQL's three-valued logic), nested groups of one kind are merged, each group's deepest
# subgroup comes first so that descending into it leaves nothing pending but parentheses,
# and long chains are split into parenthesised runs of CHAIN_RUN terms.
CHAIN_RUN = 64


def _normalise(node: Node, negate: bool = False) -> Node:
    """An equivalent tree with NOT only directly on comparisons and no same-kind nesting."""
    if isinstance(node, Not):
        return _normalise(node.part, not negate)
    if isinstance(node, And | Or):
        kind = (Or if isinstance(node, And) else And) if negate else type(node)
        parts: list[Node] = []
        for part in node.parts:
            part = _normalise(part, negate)
            parts.extend(part.parts if isinstance(part, kind) else (part,))
        return kind(tuple(parts))
    return Not(node) if negate else node


def _chain(parts: list[str], joiner: str) -> str:
    glue = f" {joiner} "
    if len(parts) <= CHAIN_RUN:
        return glue.join(parts)
    runs = (parts[start : start + CHAIN_RUN] for start in range(0, len(parts), CHAIN_RUN))
    return glue.join("(" + glue.join(run) + ")" for run in runs)


def _depth(node: Node) -> int:
    if isinstance(node, And | Or):
        return 1 + max(_depth(part) for part in node.parts)
    return 0


def _compile(node: Node, resolve: Resolver) -> tuple[str, list]:
    if isinstance(node, And | Or):
        # Compile in source order (so the first error reported is the first one written),
        # then lay out the deepest subgroups first.
        compiled = [(part, *_compile(part, resolve)) for part in node.parts]
        compiled.sort(key=lambda item: _depth(item[0]), reverse=True)
        parts, params = [], []
        for part, sql, values in compiled:
            parts.append(f"({sql})" if isinstance(part, And | Or) else sql)
            params += values
        return _chain(parts, "AND" if isinstance(node, And) else "OR"), params
    params: list = []
    if isinstance(node, Not):
        return f"NOT {_compile_comparison(node.part, resolve, params)}", params
    return _compile_comparison(node, resolve, params), params


def _coerce(field: FieldRef, value: Value, path: str) -> object:
    """The SQL parameter for `value` compared with `field`, or a ConditionError."""
    expected = _TYPE_WORDS[field.type]
    if field.type in ("int", "float"):
        if value.kind == "number":
            return value.value
    elif field.type == "bool":
        if value.kind == "bool":
            return 1 if value.value else 0
    elif field.type == "datetime":
        if value.kind == "datetime":
            return value.value
        if value.kind == "string":
            normalised = parse_datetime(str(value.value))
            if normalised is not None:
                return normalised
    elif field.type == "str":
        if value.kind == "string":
            return value.value
        if value.kind == "number":
            return str(value.value)
    raise ConditionError(f"'{path}' needs {expected}, not {value.kind} {_show(value)}", value.pos)


def _show(value: Value) -> str:
    if value.kind == "string":
        return '"' + str(value.value)[:40] + '"'
    if value.kind == "bool":
        return "true" if value.value else "false"
    return str(value.value)


def _compile_comparison(node: Comparison, resolve: Resolver, params: list) -> str:
    field = resolve(node.path, node.pos)
    sql = field.sql
    text = field.type == "str"
    collate = " COLLATE NOCASE" if text else ""
    op = node.op

    if op == "in":
        values = node.value
        assert isinstance(values, tuple)
        for value in values:
            if value.kind == "null":
                raise ConditionError("null is not allowed in 'in (...)'; use '= null'", value.pos)
            params.append(_coerce(field, value, node.path))
        placeholders = ", ".join("?" for _ in values)
        negation = "NOT " if node.negated else ""
        return f"{sql}{collate} {negation}IN ({placeholders})"

    value = node.value
    assert isinstance(value, Value)
    if value.kind == "null":
        if op == "=":
            return f"{sql} IS NULL"
        if op == "!=":
            return f"{sql} IS NOT NULL"
        raise ConditionError(f"null can only be compared with '=' or '!=', not '{op}'", value.pos)

    if op in ("like", "contains"):
        if not text:
            raise ConditionError(
                f"'{op}' works on text fields; '{node.path}' holds {_TYPE_WORDS[field.type]}",
                node.op_pos,
            )
        if value.kind not in ("string", "number"):
            raise ConditionError(f"'{op}' needs a string value", value.pos)
        raw = str(value.value)
        pattern = like_pattern(raw) if op == "like" else "%" + _escape_like(raw) + "%"
        params.append(pattern)
        negation = "NOT " if node.negated else ""
        return f"{sql} {negation}LIKE ? ESCAPE '\\'"

    if field.type == "bool" and op not in ("=", "!="):
        raise ConditionError(f"'{node.path}' is true/false; use '=' or '!='", node.op_pos)
    params.append(_coerce(field, value, node.path))
    return f"{sql} {op} ?{collate}"
