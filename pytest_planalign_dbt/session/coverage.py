"""dbt test coverage of the selected models: what pytest-cov is for Python, for models and columns.

Read from dbt's own ``manifest.json`` (models, their YAML columns and descriptions, every data
test and unit test) and, where the build materialised a model, the warehouse's columns as the
adapter reports them (``columns_query``: one dbt call, no separate ``dbt docs generate``).
Pure: no pytest, no dbt import.

Measures, each ``covered / total``:

- ``models``: models with at least one test (a data test on it or one of its columns, a
  singular test that reads it, a unit test of it);
- ``columns``: known columns with at least one data test (dbt-coverage's *test coverage*);
- ``primary_keys``: models whose key is tested (``unique`` and ``not_null`` on one column, or a
  ``unique_combination_of_columns`` test);
- ``documented``: known columns with a description (dbt-coverage's *doc coverage*).

Known columns are those the YAML declares and those the warehouse has, lower-cased, so a column
typed in YAML but never built still counts (it is missing a test all the same).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import PurePosixPath
from typing import Any

MEASURES = ("models", "columns", "primary_keys", "documented")
KEY_TESTS = {"unique", "not_null"}
COMBINATION_TESTS = {"unique_combination_of_columns"}


@dataclass(frozen=True)
class ModelCoverage:
    """One model: what is known of its columns and what tests it."""

    unique_id: str
    name: str
    path: str
    columns: tuple[str, ...] = ()
    tested_columns: tuple[str, ...] = ()
    documented_columns: tuple[str, ...] = ()
    tests: int = 0
    unit_tests: int = 0
    primary_key: bool = False
    # Where the known columns came from: "yaml", "warehouse", "yaml+warehouse" or "none".
    columns_from: str = "none"

    @property
    def tested(self) -> bool:
        return bool(self.tests or self.unit_tests)

    @property
    def folder(self) -> str:
        return str(PurePosixPath(self.path).parent)


@dataclass
class CoverageReport:
    """The coverage of the models a session selected."""

    models: list[ModelCoverage] = field(default_factory=list)
    # What measuring took (the manifest read, the warehouse's columns asked, the counting).
    seconds: float = 0.0

    def counts(self, measure: str, models: Iterable[ModelCoverage] | None = None) -> tuple[int, int]:
        """``(covered, total)`` of ``measure`` over ``models`` (default: all of them)."""
        chosen = list(self.models if models is None else models)
        if measure == "models":
            return sum(m.tested for m in chosen), len(chosen)
        if measure == "primary_keys":
            return sum(m.primary_key for m in chosen), len(chosen)
        if measure == "columns":
            return sum(len(m.tested_columns) for m in chosen), sum(len(m.columns) for m in chosen)
        if measure == "documented":
            return sum(len(m.documented_columns) for m in chosen), sum(len(m.columns) for m in chosen)
        raise ValueError(f"unknown coverage measure {measure!r}: one of {', '.join(MEASURES)}")

    def percent(self, measure: str) -> float | None:
        """``measure`` in percent (None: nothing to count, e.g. no column known)."""
        covered, total = self.counts(measure)
        return 100.0 * covered / total if total else None

    def groups(self, by: str) -> list[tuple[str, list[ModelCoverage]]]:
        """Rows of the table: one per model, or per folder; the least tested first (a model
        with nothing tested, a folder by its share of tested models), as pytest-cov puts what is
        missing where it is seen."""
        if by == "folder":
            folders: dict[str, list[ModelCoverage]] = {}
            for model in self.models:
                folders.setdefault(model.folder, []).append(model)
            rows = list(folders.items())
        else:
            rows = [(m.name, [m]) for m in self.models]
        return sorted(rows, key=lambda row: (sum(m.tested for m in row[1]) / len(row[1]), row[0]))

    def columns_from(self) -> str:
        """Where the known columns came from, over all models."""
        sources = {part for m in self.models for part in m.columns_from.split("+") if part != "none"}
        return "+".join(s for s in ("yaml", "warehouse") if s in sources) or "none"

    def to_json(self) -> str:
        return json.dumps({"models": [asdict(m) for m in self.models], "seconds": self.seconds})

    @classmethod
    def from_json(cls, text: str) -> CoverageReport:
        data = json.loads(text)
        models = []
        for fields in data["models"]:
            plain: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in fields.items()}
            models.append(ModelCoverage(**plain))
        return cls(models, float(data.get("seconds", 0.0)))


def _test_columns(test: Mapping[str, Any]) -> list[str]:
    """The columns a data test tests (none for a model-level or singular test)."""
    metadata = test.get("test_metadata") or {}
    kwargs = metadata.get("kwargs") or {}
    column = test.get("column_name") or kwargs.get("column_name") or kwargs.get("arg")
    return [str(column).strip('"`[]').lower()] if column else []


def _tested_models(test: Mapping[str, Any], models: set[str]) -> list[str]:
    attached = test.get("attached_node")
    if attached:
        return [attached] if attached in models else []
    return [uid for uid in (test.get("depends_on") or {}).get("nodes", []) if uid in models]


def _tests_by_model(manifest: Mapping[str, Any], models: set[str]) -> dict[str, list[Mapping[str, Any]]]:
    found: dict[str, list[Mapping[str, Any]]] = {uid: [] for uid in models}
    for node in manifest.get("nodes", {}).values():
        if node.get("resource_type") == "test" and (node.get("config") or {}).get("enabled", True):
            for uid in _tested_models(node, models):
                found[uid].append(node)
    return found


def _unit_tests_by_model(manifest: Mapping[str, Any], models: set[str]) -> dict[str, int]:
    counts = dict.fromkeys(models, 0)
    for unit in manifest.get("unit_tests", {}).values():
        for uid in (unit.get("depends_on") or {}).get("nodes", []):
            if uid in counts:
                counts[uid] += 1
    return counts


def _primary_key(tests: Iterable[Mapping[str, Any]]) -> bool:
    kinds: dict[str, set[str]] = {}
    for test in tests:
        name = ((test.get("test_metadata") or {}).get("name") or "").lower()
        if name in COMBINATION_TESTS:
            return True
        for column in _test_columns(test):
            kinds.setdefault(column, set()).add(name)
    return any(KEY_TESTS <= names for names in kinds.values())


def _declared(node: Mapping[str, Any]) -> dict[str, str]:
    """The YAML's columns (lower-cased) and their descriptions."""
    return {name.lower(): (column.get("description") or "").strip()
            for name, column in (node.get("columns") or {}).items()}


def _model(node: Mapping[str, Any], tests: list[Mapping[str, Any]], unit_tests: int,
           warehouse: Iterable[str] | None) -> ModelCoverage:
    declared = _declared(node)
    built = [c.lower() for c in warehouse or ()]
    columns = tuple(dict.fromkeys([*declared, *built]))
    tested = {c for t in tests for c in _test_columns(t)}
    sources = "+".join(s for s, has in (("yaml", declared), ("warehouse", built)) if has) or "none"
    version = node.get("version")
    return ModelCoverage(
        unique_id=node["unique_id"], name=node["name"] + ("" if version is None else f".v{version}"),
        path=node.get("original_file_path") or "", columns=columns,
        tested_columns=tuple(c for c in columns if c in tested),
        documented_columns=tuple(c for c in columns if declared.get(c)),
        tests=len(tests), unit_tests=unit_tests, primary_key=_primary_key(tests), columns_from=sources,
    )


def measure(manifest: Mapping[str, Any], selected: Iterable[str],
            warehouse: Mapping[str, Iterable[str]] | None = None) -> CoverageReport:
    """The coverage of the ``selected`` models (unique ids) of ``manifest`` (manifest.json's
    data); ``warehouse``: each built model's columns as the adapter reports them."""
    nodes = manifest.get("nodes", {})
    models = {uid for uid in selected if (nodes.get(uid) or {}).get("resource_type") == "model"}
    tests = _tests_by_model(manifest, models)
    units = _unit_tests_by_model(manifest, models)
    warehouse = warehouse or {}
    return CoverageReport([_model(nodes[uid], tests[uid], units[uid], warehouse.get(uid))
                           for uid in sorted(models, key=lambda u: (nodes[u].get("original_file_path") or "", u))])


def relations(manifest: Mapping[str, Any], selected: Iterable[str]) -> list[tuple[str, str, str, str]]:
    """``(unique id, database, schema, identifier)`` of the selected models a build materialises."""
    nodes = manifest.get("nodes", {})
    found = []
    for uid in selected:
        node = nodes.get(uid) or {}
        if node.get("resource_type") == "model" and (node.get("config") or {}).get("materialized") != "ephemeral":
            found.append((uid, node.get("database") or "", node.get("schema") or "", node.get("alias") or node["name"]))
    return found


def columns_query(rels: list[tuple[str, str, str, str]], *, catalog: bool = True) -> str:
    """Jinja that renders, through dbt's own adapter, a JSON mapping of each relation to its
    columns in the warehouse. ``catalog``: dbt's ``get_catalog`` macro, one query per database
    for every schema (what ``dbt docs generate`` runs), keyed ``database.schema.name`` in lower
    case; else ``adapter.get_columns_in_relation`` per relation (an adapter without the macro),
    keyed by unique id."""
    if catalog:
        schemas: dict[str, set[str]] = {}
        for _, db, schema, _ in rels:
            schemas.setdefault(db, set()).add(schema)
        literal = json.dumps([[db, sorted(names)] for db, names in sorted(schemas.items())])
        return (
            "{%- set found = {} -%}"
            f"{{%- for db, schemas in {literal} -%}}"
            "{%- set info = api.Relation.create(database=db or none).information_schema() -%}"
            "{%- for row in get_catalog(info, schemas) -%}"
            "{%- set key = (row['table_database'] ~ '.' ~ row['table_schema'] ~ '.' ~ row['table_name']) | lower -%}"
            "{%- do found.setdefault(key, []).append(row['column_name']) -%}"
            "{%- endfor -%}{%- endfor -%}"
            "{{ tojson(found) }}"
        )
    literal = json.dumps([list(r) for r in rels])
    return (
        "{%- set found = {} -%}"
        f"{{%- for uid, db, schema, name in {literal} -%}}"
        "{%- set relation = api.Relation.create(database=db or none, schema=schema, identifier=name) -%}"
        "{%- do found.update({uid: adapter.get_columns_in_relation(relation) | map(attribute='name') | list}) -%}"
        "{%- endfor -%}"
        "{{ tojson(found) }}"
    )


def catalog_key(db: str, schema: str, name: str) -> str:
    """How ``columns_query(catalog=True)`` keys a relation."""
    return f"{db}.{schema}.{name}".lower()
