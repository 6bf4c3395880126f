"""The ConnectWise `conditions` language: parsing, errors with positions, and SQL semantics.

Compiled SQL runs against a real in-memory SQLite table of JSON rows, so each case proves
which records a condition selects, not just what SQL it produces.
"""

import json
import random
import sqlite3

import pytest

from psaportal.sandbox.psa.conditions import (
    MAX_COMPARISONS,
    MAX_DEPTH,
    MAX_LENGTH,
    And,
    Comparison,
    ConditionError,
    FieldRef,
    Not,
    Or,
    compile_sql,
    parse,
    tokenize,
)

FIELDS = {
    "id": FieldRef("t.id", "int"),
    "summary": FieldRef("json_extract(t.data, '$.summary')", "str"),
    "status/name": FieldRef("json_extract(t.data, '$.status.name')", "str"),
    "company/id": FieldRef("json_extract(t.data, '$.company.id')", "int"),
    "company/name": FieldRef("json_extract(t.data, '$.company.name')", "str"),
    "owner/identifier": FieldRef("json_extract(t.data, '$.owner.identifier')", "str"),
    "closedFlag": FieldRef("json_extract(t.data, '$.closedFlag')", "bool"),
    "budgetHours": FieldRef("json_extract(t.data, '$.budgetHours')", "float"),
    "_info/lastUpdated": FieldRef("json_extract(t.data, '$._info.lastUpdated')", "datetime"),
}

TICKETS = [
    {
        "id": 1,
        "summary": "Printer jammed",
        "status": {"name": "New"},
        "company": {"id": 10, "name": "Acme"},
        "owner": {"identifier": "ann"},
        "closedFlag": False,
        "budgetHours": 1.5,
        "_info": {"lastUpdated": "2026-01-05T10:00:00Z"},
    },
    {
        "id": 2,
        "summary": "VPN down",
        "status": {"name": "Closed"},
        "company": {"id": 20, "name": "Beta Corp"},
        "owner": {"identifier": "bob"},
        "closedFlag": True,
        "budgetHours": 4,
        "_info": {"lastUpdated": "2025-12-31T23:59:59Z"},
    },
    {
        "id": 3,
        "summary": 'Say "hello" to 100% uptime_now',
        "status": {"name": "In Progress"},
        "company": {"id": 10, "name": "Acme"},
        "closedFlag": False,
        "_info": {"lastUpdated": "2026-02-01T00:00:00Z"},
    },
    {
        "id": 4,
        "summary": "printer toner low",
        "status": {"name": "New"},
        "company": {"id": 30, "name": "Gamma"},
        "owner": {"identifier": "ann"},
        "closedFlag": False,
        "budgetHours": 0,
        "_info": {"lastUpdated": "2026-01-01T00:00:00Z"},
    },
    {
        "id": 5,
        "summary": "Share C:\\temp is full",
        "status": {"name": "Waiting on Client"},
        "company": {"id": 20, "name": "Beta Corp"},
        "owner": {"identifier": "cy"},
        "closedFlag": False,
        "budgetHours": -2.5,
        "_info": {"lastUpdated": "2026-01-05T10:00:01Z"},
    },
]


def resolve(path, pos):
    found = FIELDS.get(path)
    if found is None:
        raise ConditionError(f"unknown field '{path}'", pos)
    return found


@pytest.fixture(scope="module")
def db():
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, data TEXT NOT NULL)")
    conn.executemany(
        "INSERT INTO t VALUES (?, ?)", [(row["id"], json.dumps(row)) for row in TICKETS]
    )
    yield conn
    conn.close()


def compile_text(text):
    node = parse(text)
    assert node is not None
    return compile_sql(node, resolve)


def select(db, text):
    sql, params = compile_text(text)
    return [row[0] for row in db.execute(f"SELECT id FROM t WHERE {sql} ORDER BY id", params)]


def error_for(text):
    with pytest.raises(ConditionError) as caught:
        compile_text(text)
    return caught.value


# ------------------------------------------------------------------ semantics


@pytest.mark.parametrize(
    ("conditions", "expected"),
    [
        # equality and inequality, text compared case-insensitively like ConnectWise
        ('status/name = "New"', [1, 4]),
        ('status/name = "new"', [1, 4]),
        ('status/name != "New"', [2, 3, 5]),
        ('status/name <> "New"', [2, 3, 5]),
        ("id = 3", [3]),
        ("id != 3", [1, 2, 4, 5]),
        # ordering operators on numbers
        ("budgetHours > 1.5", [2]),
        ("budgetHours >= 1.5", [1, 2]),
        ("budgetHours < 1.5", [4, 5]),
        ("budgetHours <= 0", [4, 5]),
        ("budgetHours < -1", [5]),
        ("budgetHours = .0", [4]),
        ("budgetHours = 4", [2]),
        ("id >= 2 and id < 4", [2, 3]),
        ("id>2", [3, 4, 5]),
        # ordering on text
        ('summary < "Q"', [1, 4]),
        # contains: case-insensitive, and % / _ in the value are literal characters
        ('summary contains "printer"', [1, 4]),
        ('summary contains "PRINTER"', [1, 4]),
        ('summary contains "100%"', [3]),
        ('summary contains "%"', [3]),
        ('summary contains "_now"', [3]),
        ('summary contains "_"', [3]),
        ('summary not contains "printer"', [2, 3, 5]),
        # like: * and % are wildcards, _ is literal
        ('summary like "printer*"', [1, 4]),
        ('summary like "printer%"', [1, 4]),
        ('summary like "*down"', [2]),
        ('summary like "%toner%"', [4]),
        ('summary like "*uptime_now"', [3]),
        ('summary like "VPN_down"', []),
        ('summary like "vpn down"', [2]),
        ('summary like "Printer"', []),
        ('summary not like "printer*"', [2, 3, 5]),
        # in / not in
        ("id in (1, 3, 5)", [1, 3, 5]),
        ("id in (2)", [2]),
        ('status/name in ("New", "closed")', [1, 2, 4]),
        ("company/id not in (10, 20)", [4]),
        ('owner/identifier not in ("ann")', [2, 5]),
        # booleans and null
        ("closedFlag = true", [2]),
        ("closedFlag = false", [1, 3, 4, 5]),
        ("closedFlag != true", [1, 3, 4, 5]),
        ("owner/identifier = null", [3]),
        ("owner/identifier != null", [1, 2, 4, 5]),
        ("budgetHours = null", [3]),
        # dates in brackets, with or without time and zone; date strings also work
        ("_info/lastUpdated > [2026-01-01T00:00:00Z]", [1, 3, 5]),
        ("_info/lastUpdated >= [2026-01-01]", [1, 3, 4, 5]),
        ("_info/lastUpdated < [2026-01-01]", [2]),
        ("_info/lastUpdated = [2026-01-05T10:00:00Z]", [1]),
        ("_info/lastUpdated = [2026-01-05T12:00:00+02:00]", [1]),
        ("_info/lastUpdated = [2026-01-05T05:00:00-0500]", [1]),
        ("_info/lastUpdated = [2026-01-05 10:00:00]", [1]),
        ("_info/lastUpdated = [2026-01-05T10:00:00.250Z]", [1]),
        ("_info/lastUpdated = [2026-01-05T10:00Z]", [1]),
        ('_info/lastUpdated = "2026-01-05T10:00:00Z"', [1]),
        ("_info/lastUpdated > [2026-01-05T10:00:00Z]", [3, 5]),
        # nested paths
        ('company/name = "Acme"', [1, 3]),
        ("company/id = 20", [2, 5]),
        # numbers compared with a text field become text
        ("summary = 5", []),
        # precedence: and binds tighter than or; parentheses override it
        ('closedFlag = true or status/name = "New" and budgetHours < 2', [1, 2, 4]),
        ('(closedFlag = true or status/name = "New") and budgetHours < 2', [1, 4]),
        ('status/name = "New" and budgetHours > 1 or id = 5', [1, 5]),
        ('status/name = "New" and (budgetHours > 1 or id = 5)', [1]),
        ("id = 1 or id = 2 or id = 3 and closedFlag = true", [1, 2]),
        ("((id = 1) or ((id = 2)))", [1, 2]),
        # unary not
        ('not status/name = "New"', [2, 3, 5]),
        ('not (status/name = "New" or id = 2)', [3, 5]),
        ("not not id = 1", [1]),
        ('company/id = 10 and not summary contains "printer"', [3]),
        # keywords in any case
        ('status/name = "New" AND closedFlag = FALSE Or id IN (2)', [1, 2, 4]),
        ('summary NOT LIKE "printer*"', [2, 3, 5]),
        ('summary Contains "vpn"', [2]),
        ("NOT (id = 1) and owner/identifier = NULL", [3]),
        ("closedFlag = True", [2]),
        # whitespace is free
        ('  id   in(1,2 )\n and\tsummary   like"*down"  ', [2]),
    ],
)
def test_conditions_select_the_right_records(db, conditions, expected):
    assert select(db, conditions) == expected


@pytest.mark.parametrize(
    ("conditions", "expected"),
    [
        (r'summary = "Say \"hello\" to 100% uptime_now"', [3]),
        (r'summary contains "\"hello\""', [3]),
        (r'summary contains "C:\\temp"', [5]),
        (r'summary like "*C:\\temp*"', [5]),
        (r'summary = "Share C:\temp is full"', [5]),  # a lone backslash stays as it is
    ],
)
def test_quoted_strings_with_escapes(db, conditions, expected):
    assert select(db, conditions) == expected


def test_blank_conditions_mean_no_filter():
    assert parse("") is None
    assert parse("   \n\t ") is None


def test_ast_shape_follows_precedence():
    node = parse('id = 1 or id = 2 and not summary contains "x"')
    assert isinstance(node, Or)
    first, second = node.parts
    assert isinstance(first, Comparison) and first.path == "id" and first.value.value == 1
    assert isinstance(second, And)
    assert isinstance(second.parts[1], Not)
    inner = second.parts[1].part
    assert (inner.op, inner.negated, inner.value.value) == ("contains", False, "x")


def test_negated_operators_are_marked_on_the_comparison():
    node = parse('summary not like "a*" and id not in (1, 2)')
    like, within = node.parts
    assert (like.op, like.negated) == ("like", True)
    assert (within.op, within.negated) == ("in", True)
    assert [value.value for value in within.value] == [1, 2]


def test_tokens_carry_one_based_positions():
    tokens = tokenize('id >= 12 and summary contains "a b"')
    assert [(token.kind, token.text, token.pos) for token in tokens] == [
        ("path", "id", 1),
        ("op", ">=", 4),
        ("number", "12", 7),
        ("keyword", "and", 10),
        ("path", "summary", 14),
        ("keyword", "contains", 22),
        ("string", '"a b"', 31),
        ("end", "", 36),
    ]


def test_values_never_enter_the_sql(db):
    hostile = "x'); DROP TABLE t; --"
    sql, params = compile_text(f'summary = "{hostile}" or id in (1, 2)')
    assert hostile not in sql and "DROP" not in sql
    assert params == [hostile, 1, 2]
    assert select(db, f'summary = "{hostile}"') == []
    assert db.execute("SELECT COUNT(*) FROM t").fetchone()[0] == len(TICKETS)


def test_like_patterns_are_escaped_for_sql():
    _sql, params = compile_text(r'summary like "50%_off*\\"')
    assert params == ["50%\\_off%\\\\"]


def test_parameters_are_typed_for_the_field():
    _sql, params = compile_text(
        "closedFlag = true and id = 7 and budgetHours > 1.25 and summary = 42 and "
        "_info/lastUpdated > [2026-03-04T05:06:07+01:00]"
    )
    assert params == [1, 7, 1.25, "42", "2026-03-04T04:06:07Z"]


# ------------------------------------------------------------------ malformed input


@pytest.mark.parametrize(
    ("conditions", "position", "message"),
    [
        ('summary = "abc', 11, "unterminated string"),
        ('summary = "abc\\"', 11, "unterminated string"),
        ("(id = 1", 1, "missing ')'"),
        ("((id = 1) or (id = 2)", 1, "missing ')'"),
        ("id = 1)", 7, "unexpected ')'"),
        ("()", 2, "expected a field name"),
        ("summary =", 10, "expected a value after '='"),
        ("summary contains", 17, "expected a value after 'contains'"),
        ("summary", 8, "expected an operator"),
        ('summary ~ "x"', 9, "unexpected character '~'"),
        ('summary equals "x"', 9, "unknown operator 'equals'"),
        ('summary == "x"', 10, "expected a value"),
        ("id ! 1", 4, "unknown operator '!'"),
        ('summary not = "x"', 13, "expected 'like', 'contains' or 'in' after 'not'"),
        ("id = 1 id = 2", 8, "expected 'and', 'or' or the end"),
        ('id = 1 "trailing"', 8, "expected 'and', 'or' or the end"),
        ("id = 1 and", 11, "expected a field name"),
        ("and id = 1", 1, "expected a field name"),
        ("id = 1 or or id = 2", 11, "expected a field name"),
        ("id in 1", 7, "expected '(' after 'in'"),
        ("id in ()", 8, "at least one value"),
        ("id in (1, 2", 7, "missing ')' to close the 'in ('"),
        ("id in (1 2)", 10, "expected ',' or ')'"),
        ("id in (1,)", 10, "expected a value"),
        ("summary = 'x'", 11, "double quotes"),
        ("summary = printer", 11, "double quotes"),
        ("_info/lastUpdated > [2026-13-01]", 21, "invalid date/time"),
        ("_info/lastUpdated > [yesterday]", 21, "invalid date/time"),
        ("_info/lastUpdated > [2026-01-01", 21, "missing ']'"),
        ("id = 1]", 7, "unexpected ']'"),
        ("id = 12abc", 6, "invalid number"),
        ("company/ = 1", 1, "incomplete field path"),
        ("/id = 1", 1, "unexpected character '/'"),
        ("id = ", 6, "expected a value"),
        ("= 1", 1, "expected a field name"),
        ('id = 1 and (summary = "a" or)', 29, "expected a field name"),
    ],
)
def test_malformed_conditions_name_the_position(conditions, position, message):
    error = error_for(conditions)
    assert error.position == position, error
    assert message in error.message
    assert f"at position {position}" in str(error)


@pytest.mark.parametrize(
    ("conditions", "position", "message"),
    [
        ('id = "abc"', 6, "'id' needs a number"),
        ("closedFlag = 1", 14, "needs true or false"),
        ('closedFlag = "true"', 14, "needs true or false"),
        ("closedFlag > false", 12, "use '=' or '!='"),
        ('_info/lastUpdated > "soon"', 21, "needs a date/time"),
        ("_info/lastUpdated > 2026", 21, "needs a date/time"),
        ("summary = true", 11, "needs text"),
        ("summary = [2026-01-01]", 11, "needs text"),
        ('id contains "1"', 4, "works on text fields"),
        ('budgetHours like "1*"', 13, "works on text fields"),
        ("summary like 5 and summary contains true", 37, "needs a string value"),
        ("id in (1, null)", 11, "null is not allowed"),
        ('id in (1, "two")', 11, "needs a number"),
        ("summary > null", 11, "null can only be compared"),
        ("summary like null", 14, "null can only be compared"),
        ('nosuchfield = "x"', 1, "unknown field 'nosuchfield'"),
        ('id = 1 and company/nope = "x"', 12, "unknown field 'company/nope'"),
    ],
)
def test_values_must_fit_the_field(conditions, position, message):
    error = error_for(conditions)
    assert error.position == position, error
    assert message in error.message


def test_condition_error_is_a_value_error():
    error = error_for("id =")
    assert isinstance(error, ValueError)


# ------------------------------------------------------------------ hostile input


def test_a_100k_character_string_is_refused_before_parsing():
    text = 'summary = "' + "a" * 100_000 + '"'
    error = error_for(text)
    assert "too long" in error.message and str(MAX_LENGTH) in error.message


def test_a_100k_character_unterminated_string_is_refused():
    assert "too long" in error_for('summary = "' + "x" * 100_000).message


def test_the_longest_allowed_string_still_works(db):
    value = "z" * (MAX_LENGTH - len('summary = ""'))
    assert select(db, f'summary = "{value}"') == []


def test_10k_deep_parentheses_are_refused():
    text = "(" * 10_000 + "id = 1" + ")" * 10_000
    assert isinstance(error_for(text), ConditionError)


@pytest.mark.parametrize(
    "text",
    [
        "(" * 4_000 + "id = 1" + ")" * 4_000,
        "(" * 4_900,
        "not " * 2_400 + "id = 1",
        "not (" * 1_600 + "id = 1" + ")" * 1_600,
        "id = 1 or (" * 800 + "id = 2" + ")" * 800,
    ],
)
def test_deep_nesting_within_the_length_limit_is_refused(text):
    error = error_for(text)
    assert "nested too deeply" in error.message and error.position is not None


def test_nesting_up_to_the_limit_runs_in_sqlite(db):
    deep = "(" * MAX_DEPTH + "id = 4" + ")" * MAX_DEPTH
    assert select(db, deep) == [4]
    assert select(db, "not " * (MAX_DEPTH - 1) + "id = 4") == [1, 2, 3, 5]


def test_50k_comparisons_are_refused():
    text = " or ".join(["id = 1"] * 50_000)
    assert isinstance(error_for(text), ConditionError)


def test_too_many_comparisons_within_the_length_limit_are_refused():
    text = " or ".join(["id=1"] * (MAX_COMPARISONS + 1))
    assert len(text) < MAX_LENGTH
    error = error_for(text)
    assert "too many comparisons" in error.message


@pytest.mark.parametrize("joiner", [" or ", " and "])
def test_the_most_comparisons_allowed_run_in_sqlite(db, joiner):
    # SQLite refuses expressions nested over 1000 deep, so a flat chain must be regrouped.
    text = joiner.join(f"id={n % 9}" for n in range(MAX_COMPARISONS))
    assert len(text) < MAX_LENGTH
    assert select(db, text) == ([1, 2, 3, 4, 5] if joiner == " or " else [])


def test_a_long_in_list_runs_in_sqlite(db):
    values = ",".join(str(n) for n in range(3, 2_000))
    assert select(db, f"id in ({values})") == [3, 4, 5]
    assert select(db, f"id not in ({values})") == [1, 2]


@pytest.mark.parametrize(
    "text",
    [
        '"' * 9_999,
        'summary = "' + '\\"' * 4_000,
        "summary = " + '"a" ' * 2_000,
        "[" * 5_000,
        "]" * 5_000,
        ")" * 9_000,
        "id in (" + "1," * 4_000,
        "id in (" * 1_400,
        "\x00\x01\x02 = 1",
        "id = 1 and " * 900,
        'summary = "\u202e\U0001f600" and id = \u0661',
        "caf\u00e9 = 1",
        "id = \u00b2",
        "_info/lastUpdated > [\u0662\u0660\u0662\u0666-01-01]",
        "id = " + "9" * 5_000,
        "id = 9223372036854775808",
        "id in (1, -9223372036854775809)",
    ],
)
def test_hostile_input_is_a_condition_error(text):
    assert isinstance(error_for(text), ConditionError)


TOKENS = [
    "id", "summary", "status/name", "closedFlag", "_info/lastUpdated", "company/id", "nope",
    "=", "!=", "<>", "<", "<=", ">", ">=", "!", "contains", "like", "in", "not", "and", "or",
    "(", ")", ",", '"a*"', '"x', '"\\""', "[2026-01-01]", "[bad]", "[", "]", "1", "-2.5",
    ".5", "true", "false", "null", "'q'", "~", "", " ",
]  # fmt: skip


def test_random_token_soup_never_crashes(db):
    """Every string either compiles to SQL that SQLite runs, or is a ConditionError."""
    rng = random.Random(20261125)
    compiled = 0
    for _ in range(3_000):
        text = " ".join(rng.choice(TOKENS) for _ in range(rng.randint(1, 14)))
        try:
            sql, params = compile_text(text) if text.strip() else ("1", [])
        except ConditionError as exc:
            assert exc.message
            continue
        db.execute(f"SELECT id FROM t WHERE {sql}", params).fetchall()
        compiled += 1
    assert compiled > 5  # the soup is not all errors: valid conditions were exercised too


# ------------------------------------------------------------------ random valid conditions

# Python's reading of the same comparisons, in SQL's three-valued logic (None = unknown).
LEAVES = [
    ("id = 3", lambda row: row["id"] == 3),
    ("id > 2", lambda row: row["id"] > 2),
    ("id in (1, 4)", lambda row: row["id"] in (1, 4)),
    ("id not in (2, 5)", lambda row: row["id"] not in (2, 5)),
    ('summary contains "printer"', lambda row: "printer" in row["summary"].lower()),
    ('summary not like "*down"', lambda row: not row["summary"].lower().endswith("down")),
    ("closedFlag = false", lambda row: row["closedFlag"] is False),
    ("budgetHours >= 1.5", lambda row: _unknown_or(row, "budgetHours", lambda v: v >= 1.5)),
    ("budgetHours != 0", lambda row: _unknown_or(row, "budgetHours", lambda v: v != 0)),
    ("budgetHours = null", lambda row: row.get("budgetHours") is None),
    ('owner/identifier = "ann"', lambda row: _owner(row, lambda v: v == "ann")),
    ('owner/identifier != "bob"', lambda row: _owner(row, lambda v: v != "bob")),
    ("_info/lastUpdated < [2026-01-05]", lambda row: row["_info"]["lastUpdated"] < "2026-01-05"),
]


def _unknown_or(row, name, test):
    value = row.get(name)
    return None if value is None else test(value)


def _owner(row, test):
    owner = (row.get("owner") or {}).get("identifier")
    return None if owner is None else test(owner)


def _not(value):
    return None if value is None else not value


def _and(values):
    if any(value is False for value in values):
        return False
    return None if any(value is None for value in values) else True


def _or(values):
    if any(value is True for value in values):
        return True
    return None if any(value is None for value in values) else False


def random_condition(rng, depth):
    """(conditions text, evaluator) for a random tree of and/or/not/parentheses."""
    if depth == 0 or rng.random() < 0.3:
        text, test = rng.choice(LEAVES)
        return text, test
    shape = rng.random()
    if shape < 0.2:
        text, test = random_condition(rng, depth - 1)
        return f"not ({text})", lambda row: _not(test(row))
    parts = [random_condition(rng, depth - 1) for _ in range(rng.randint(2, 4))]
    word, combine = ("and", _and) if shape < 0.6 else ("or", _or)
    text = f" {word} ".join(f"({part_text})" for part_text, _ in parts)
    return text, lambda row: combine([part_test(row) for _, part_test in parts])


def test_random_conditions_agree_with_three_valued_logic(db):
    """SQLite's answer for random nested conditions equals a direct Python evaluation."""
    rng = random.Random(7)
    for _ in range(400):
        text, test = random_condition(rng, rng.randint(1, 6))
        expected = [row["id"] for row in TICKETS if test(row) is True]
        assert select(db, text) == expected, text


@pytest.mark.parametrize(
    "shape",
    [
        lambda n: "id = 1 or (" * n + "id = 2" + ")" * n,
        lambda n: (
            "".join("id = 1 and (" if i % 2 else "id = 1 or (" for i in range(n))
            + "id = 2"
            + ")" * n
        ),
        lambda n: (
            "(" * n
            + "id = 2"
            + "".join(") or id = 1" if i % 2 else ") and id = 1" for i in range(n))
        ),
        lambda n: (
            "".join(
                "(id = 1 or id = 2) and (" if i % 2 else "(id = 1 and id = 2) or ("
                for i in range(n)
            )
            + "id = 3"
            + ")" * n
        ),
        lambda n: "not (id = 1 or " * (n // 2) + "id = 2" + ")" * (n // 2),
        lambda n: "not (id = 1 and not (id = 2 or " * (n // 4) + "id = 3" + "))" * (n // 4),
        lambda n: "not " * n + "id = 2",
    ],
)
def test_the_deepest_nesting_allowed_runs_in_sqlite(db, shape):
    """SQLite's parser stack is small; nesting the parser accepts must never overflow it."""
    text = shape(MAX_DEPTH)
    sql, params = compile_text(text)
    db.execute(f"SELECT id FROM t WHERE {sql}", params).fetchall()
    assert isinstance(error_for(shape(MAX_DEPTH + 4)), ConditionError)
