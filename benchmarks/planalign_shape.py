"""The PlanAlign call shape: a generated project and the orchestrator's call sequence, run the
old way (a `dbt` subprocess per call) and through `DbtRunner`, each run a fresh process, as the
orchestrator's are: the very first (nothing kept in target/), a first run at a new database
file (each simulation writes one: the profile reads its path from DATABASE_PATH; target/ keeps
what the runs before kept), then that run repeated on the same file; the tables compared.

    python benchmarks/planalign_shape.py [--years 2 5] [--chains 12] [--depth 9]

The project (generated, deterministic): 2 seeds; staging views; per simulated year a start
model whose `ref` depends on `simulation_year` (the census in the first year, last year's
snapshot, read as a source, after it); `chains` chains of `depth` models each (every third one
ephemeral, every chain's last model `enabled` only after the first year in odd chains), each
applying its own rate var; a union of events; an incremental snapshot carrying the workforce
from year to year; a hazard-cache table. Seven data tests per model (>= 800 in all at the
defaults). 130 rate vars plus the year and a stage var: as in PlanAlign, the vars differ on
nearly every call (the stage, the year, the hazard cache's own vars).

The sequence per year (the orchestrator's stages): initialization (`tag:init`), event generation
(`int_c*`, a bare wildcard as PlanAlign's `int_*`), state accumulation (`path:` selections),
validation (tests), hazard cache; `seed` once first. Writes
benchmarks/results/planalign_shape_<validate>.md.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from datetime import date
from pathlib import Path

import duckdb
from _common import machine

RESULTS = Path(__file__).resolve().parent / "results"
DBT = str(Path(sys.executable).parent / "dbt")
ENV = {**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
START = 2025
RATES = 130
EMPLOYEES = 400


def generate(dest: Path, chains: int, depth: int, yaml_vars: bool = False) -> int:
    """Write the project; return its number of models."""
    (dest / "models").mkdir(parents=True)
    (dest / "seeds").mkdir()
    rate_defaults = "".join(f"  rate_{i}: {0.001 * (i % 17):.3f}\n" for i in range(RATES))
    (dest / "dbt_project.yml").write_text(
        "name: shape\nversion: '1.0.0'\nconfig-version: 2\nprofile: shape\n"
        f"vars:\n  simulation_year: {START}\n  start_year: {START}\n  stage: none\n{rate_defaults}"
        "models:\n  shape:\n    +materialized: table\n"
    )
    (dest / "profiles.yml").write_text(
        "shape:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n"
        "      path: \"{{ env_var('DATABASE_PATH', 'simulation.duckdb') }}\"\n      threads: 4\n"
    )
    (dest / "seeds" / "census.csv").write_text(
        "employee_id,level,salary\n" + "".join(f"{i},{1 + i % 5},{40000 + 97 * i}\n" for i in range(EMPLOYEES))
    )
    (dest / "seeds" / "levels.csv").write_text("level,band\n" + "".join(f"{i},b{i}\n" for i in range(1, 6)))
    models: dict[str, str] = {
        "stg_census": "{{ config(materialized='view') }}\nselect * from {{ ref('census') }}\n",
        "stg_levels": "{{ config(materialized='view') }}\nselect * from {{ ref('levels') }}\n",
        # The DAG depends on the year: the census first, last year's snapshot after.
        "int_start": textwrap.dedent("""\
            {% if var('simulation_year') == var('start_year') %}
            select employee_id, level, salary from {{ ref('stg_census') }}
            {% else %}
            select employee_id, level, salary from {{ source('sim', 'fct_snapshot') }}
            where simulation_year = {{ var('simulation_year') - 1 }}
            {% endif %}
        """),
        "hazard_cache": "select level, band, {{ var('hazard_version', 1) }} as version from {{ ref('stg_levels') }}\n",
    }
    tails = []
    for c in range(chains):
        previous = "int_start"
        for d in range(depth):
            name = f"int_c{c}_d{d}"
            rate = (c * depth + d) % RATES
            config = "{{ config(materialized='ephemeral') }}\n" if d % 3 == 1 else ""
            if d == depth - 1 and c % 2 == 1:
                config = "{{ config(enabled=var('simulation_year') > var('start_year')) }}\n"
            models[name] = (
                f"{config}select employee_id, level, round(salary * (1 + {{{{ var('rate_{rate}') }}}}), 2) as salary,"
                f" {{{{ var('simulation_year') }}}} as simulation_year from {{{{ ref('{previous}') }}}}\n"
            )
            previous = name
        if c % 2 == 0:
            tails.append(previous)
    models["fct_events"] = " union all ".join(
        f"select employee_id, level, salary, simulation_year, '{t}' as source from {{{{ ref('{t}') }}}}" for t in tails
    ) + "\n"
    models["fct_snapshot"] = textwrap.dedent("""\
        {{ config(materialized='incremental', unique_key=['employee_id', 'simulation_year'],
                  incremental_strategy='delete+insert') }}
        select employee_id, max(level) as level, round(avg(salary), 2) as salary, simulation_year
        from {{ ref('fct_events') }} group by employee_id, simulation_year
    """)
    for name, sql in models.items():
        (dest / "models" / f"{name}.sql").write_text(sql)
    tested = [m for m, sql in models.items() if "ephemeral" not in sql]
    lines = ["version: 2", "sources:", "  - name: sim", "    schema: main", "    tables:", "      - name: fct_snapshot",
             "models:"]
    for m in tested:
        tag = "events" if m.startswith("int_c") else "state" if m.startswith("fct") else "init"
        lines += [f"  - name: {m}", f"    config: {{tags: ['{tag}']}}", "    data_tests: [min_rows]", "    columns:"]
        if m in ("stg_levels", "hazard_cache"):
            lines += ["      - name: level", "        data_tests: [not_null, unique]",
                      "      - name: band", "        data_tests: [not_null]"]
            continue
        unique = ", unique" if m.startswith(("int_", "stg_")) else ""
        lines += [
            "      - name: employee_id",
            f"        data_tests: [not_null{unique}, {{not_null: {{name: warn_not_null_{m}, config: {{severity: warn}}}}}}]",
            "      - name: level",
            "        data_tests: [not_null, {accepted_values: {arguments: {values: [1, 2, 3, 4, 5]}}}]",
            "      - name: salary",
            "        data_tests: [not_null, positive]",
        ]
        if m.startswith(("int_c", "fct_")):
            # --yaml-vars, as PlanAlign's YAML: the year in a test's arguments, the start year in its where.
            year_test = (", {year_present: {arguments: {year: \"{{ var('simulation_year') }}\"},"
                         " config: {where: \"simulation_year >= {{ var('start_year') }}\"}}}" if yaml_vars else "")
            lines += ["      - name: simulation_year", f"        data_tests: [not_null{year_test}]"]
        if m.startswith("int_c"):
            lines += ["      - name: employee_id",
                      "        data_tests: [{relationships: {arguments: {to: ref('stg_census'), field: employee_id}}}]"]
    (dest / "models" / "schema.yml").write_text("\n".join(lines) + "\n")
    (dest / "macros").mkdir()
    (dest / "macros" / "tests.sql").write_text(
        "{% test min_rows(model) %}\nselect 1 as n from (select count(*) as c from {{ model }}) where c < 1\n{% endtest %}\n"
        "{% test positive(model, column_name) %}\nselect * from {{ model }} where {{ column_name }} <= 0\n{% endtest %}\n"
        "{% test year_present(model, column_name, year) %}\nselect 1 as missing from (select count(*) as c from"
        " {{ model }} where {{ column_name }} = {{ year }}) where c = 0\n{% endtest %}\n"
    )
    return len(models)


def count_tests(project: Path) -> int:
    """Data tests in the generated schema.yml (each entry of a data_tests list)."""
    import yaml

    doc = yaml.safe_load((project / "models" / "schema.yml").read_text())
    return sum(len(m.get("data_tests", [])) + sum(len(c.get("data_tests", [])) for c in m.get("columns", []))
               for m in doc["models"])


def calls(years: int, validate: str = "state") -> list[tuple[list[str], dict | None]]:
    """The orchestrator's sequence: (dbt arguments, vars) per call. ``validate``: which data
    tests the validation stage runs, "state" (the snapshot's and events' own, as the
    orchestrator validates its state models) or "all" (every test of the year's models)."""
    rates = {f"rate_{i}": round(0.001 * ((i * 7) % 19), 3) for i in range(RATES)}
    out: list[tuple[list[str], dict | None]] = [(["seed"], None)]
    for year in range(START, START + years):
        base = {**rates, "simulation_year": year, "start_year": START}
        out += [
            (["run", "--select", "tag:init"], {**base, "stage": "initialization"}),
            (["run", "--select", "int_c*"], {**base, "stage": "event_generation"}),
            (["run", "--select", "path:models/fct_events.sql", "path:models/fct_snapshot.sql"],
             {**base, "stage": "state_accumulation"}),
            (["test", "--select", "tag:state" if validate == "state" else "tag:events tag:state"],
             {**base, "stage": "validation"}),
            (["run", "--select", "hazard_cache"], {"hazard_version": year, "stage": "hazard_cache"}),
        ]
    return out


def old_way(project: Path, sequence: list, database: Path) -> float:
    started = time.perf_counter()
    for args, dbt_vars in sequence:
        extra = ["--vars", json.dumps(dbt_vars)] if dbt_vars else []
        if args[:2] == ["run", "--select"] and args[2] == "int_c*":
            args = ["run", "--select", "*.int_c*"]  # dbt-core 1.12.0's CLI matches bare wildcards by path only
        proc = subprocess.run([DBT, *args, *extra, "--profiles-dir", "."], cwd=project,
                              env={**ENV, "DATABASE_PATH": str(database)}, capture_output=True, text=True)
        if proc.returncode != 0:
            raise SystemExit(f"old way failed on {args}: {proc.stdout[-2000:]}")
    return time.perf_counter() - started


RUNNER = textwrap.dedent("""
    import json, sys, time
    started = time.perf_counter()
    from pytest_planalign_dbt import DbtRunner
    project, sequence, write_json = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3] == "1"
    runner = DbtRunner(project, **({} if write_json else {"write_json": False}))
    per_call = []
    for args, dbt_vars in sequence:
        call_started = time.perf_counter()
        result = runner.execute_command(args, dbt_vars=dbt_vars, stream_output=False)
        if not result.success:
            raise SystemExit(f"failed on {args}: {result.stderr[-2000:]}")
        parse = result.parse
        wall = time.perf_counter() - call_started
        try:  # dbt's own time for the task (from its first hook to its last node), as it reports it
            task = json.loads((runner.artifacts_path / "run_results.json").read_text())["elapsed_time"]
        except (OSError, ValueError, KeyError):
            task = 0.0
        per_call.append({"args": " ".join(args), "wall": wall,
                         "parse": parse.kind if parse else "-", "parse_s": parse.seconds if parse else 0.0,
                         "task_s": task, "sql_s": sum(n.execution_time for n in result.nodes)})
    print(json.dumps({"wall": time.perf_counter() - started, "parses": runner.executor.parses,
                      "full_parses": runner.executor.full_parses, "calls": per_call}))
""")


def runner_way(project: Path, sequence: list, database: Path, write_json: bool = True) -> dict:
    """DbtRunner in a fresh process on the database file ``database``: its wall time (import
    included), its parses, and per call how it got its manifest, the parse's seconds and the
    nodes' own (SQL) seconds."""
    started = time.perf_counter()
    database.parent.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run([sys.executable, "-c", RUNNER, str(project), json.dumps(sequence), "1" if write_json else "0"],
                          env={**ENV, "DATABASE_PATH": str(database)}, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(proc.stderr[-3000:])
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    out["wall"] = time.perf_counter() - started
    return out


def tables(database: Path) -> dict[str, str]:
    """Row count and content hash of the snapshot and the events, per year."""
    with duckdb.connect(str(database), read_only=True) as con:
        out = {}
        for table in ("fct_snapshot", "fct_events"):
            rows = con.execute(f"select * from {table} order by all").fetchall()
            out[table] = f"{len(rows)} rows, {hashlib.sha256(repr(rows).encode()).hexdigest()[:12]}"
        return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--years", type=int, nargs="+", default=[2, 5])
    parser.add_argument("--chains", type=int, default=14)
    parser.add_argument("--depth", type=int, default=9)
    parser.add_argument("--yaml-vars", action="store_true",
                        help="the YAML reads simulation_year in test arguments and start_year in a test's where")
    parser.add_argument("--validate", choices=["state", "all"], default="state",
                        help="the validation stage's tests: the state models' (default) or all")
    parser.add_argument("--no-write-json", action="store_true",
                        help="DbtRunner(write_json=False); the default is the runner's own default (True)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="planalign-shape-"))
    source = work / "source"
    n_models = generate(source, args.chains, args.depth, args.yaml_vars)
    print(f"project: {n_models} models, {count_tests(source)} data tests, {RATES + 3} vars")
    rows = []
    for years in args.years:
        sequence = calls(years, args.validate)
        projects = {}
        for name in ("old", "runner"):
            projects[name] = work / f"{name}-{years}"
            shutil.copytree(source, projects[name])
        old_db = work / f"old-{years}-sim" / "simulation.duckdb"
        old_db.parent.mkdir()
        old = old_way(projects["old"], sequence, old_db)
        json_ = not args.no_write_json
        # Each simulation its own file, one name (the orchestrator's scenario dirs): the very first
        # run, then a first run at a new file with target/ as the runs before left it, then again.
        ever = runner_way(projects["runner"], sequence, work / f"runner-{years}-a" / "simulation.duckdb", json_)
        new_db = work / f"runner-{years}-b" / "simulation.duckdb"
        first = runner_way(projects["runner"], sequence, new_db, json_)
        same_first = tables(old_db) == tables(new_db)
        repeated = runner_way(projects["runner"], sequence, new_db, json_)
        same_repeated = tables(old_db) == tables(new_db)
        rows.append((years, len(sequence), old, ever, first, repeated, same_first and same_repeated,
                     old / len(sequence)))
        print(rows[-1], flush=True)
    lines = [
        f"PlanAlign-shaped project: {n_models} models, {count_tests(source)} data tests, {RATES + 3} vars;"
        f"{' YAML reads the year in test arguments;' if args.yaml_vars else ''}"
        f" validation runs {args.validate} tests; DbtRunner with"
        f" {'write_json=False' if args.no_write_json else 'its defaults'}; {machine()}; {date.today()}",
        "",
        "Each DbtRunner run is a fresh process, as the orchestrator's; each simulation writes its own"
        " database file (DATABASE_PATH, same file name in another directory).",
        "",
        "| years | dbt calls | old way (subprocess per call) | DbtRunner, very first run (empty target/) |"
        " first run at a new database file | ratio | repeated run, same file | ratio |"
        " full parses (very first / new file / repeated) | tables equal |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for years, n_calls, old, ever, first, repeated, same, _ in rows:
        lines.append(
            f"| {years} | {n_calls} | {old:.1f} s | {ever['wall']:.1f} s | {first['wall']:.1f} s |"
            f" {old / first['wall']:.1f}x | {repeated['wall']:.1f} s | {old / repeated['wall']:.1f}x |"
            f" {ever['full_parses']} / {first['full_parses']} / {repeated['full_parses']} | {'yes' if same else 'NO'} |"
        )
    years, n_calls, old, ever, first, repeated, _, old_per_call = rows[-1]
    for title, run in (("very first run", ever), ("first run at a new database file", first),
                       ("repeated run", repeated)):
        lines += ["", f"Per call, {years} year(s), DbtRunner {title} (the old way: {old_per_call:.1f} s per call"
                  " on average). dbt's task = `elapsed_time` of the call's run_results.json (dbt's hooks and"
                  " nodes); outside it = the rest of the call without the parse (dbt's invocation set-up,"
                  " graph and selection, artifacts, connections); SQL = the nodes' own execution times"
                  " (summed over dbt's threads):", "",
                  "| # | dbt call | wall | manifest | parse | outside dbt's task | dbt's task | of it SQL |",
                  "|---|---|---|---|---|---|---|---|"]
        for i, call in enumerate(run["calls"], 1):
            outside = call["wall"] - call["parse_s"] - call["task_s"]
            lines.append(f"| {i} | `{call['args']}` | {call['wall']:.2f} s | {call['parse']} | {call['parse_s']:.2f} s |"
                         f" {outside:.2f} s | {call['task_s']:.2f} s | {call['sql_s']:.2f} s |")
        total, parse_s, task_s = (sum(c[k] for c in run["calls"]) for k in ("wall", "parse_s", "task_s"))
        lines.append(f"| | all calls | {total:.1f} s | | {parse_s:.1f} s | {total - parse_s - task_s:.1f} s |"
                     f" {task_s:.1f} s | {sum(c['sql_s'] for c in run['calls']):.1f} s |")
    RESULTS.mkdir(exist_ok=True)
    suffix = ("_yaml_vars" if args.yaml_vars else "") + ("_no_json" if args.no_write_json else "")
    (RESULTS / f"planalign_shape_{args.validate}{suffix}.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
