"""Generate a synthetic dbt project on DuckDB with N models.

    python benchmarks/synth.py 200 /tmp/synth200

Shape (deterministic for a given N): staging views on two seeds (~10%),
intermediate tables that ref 1-3 earlier models (~75%, every fourth one reading
var('simulation_year')), a few incremental models (~5%), marts (~10%); two
generic tests (unique, not_null) per model.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

ROWS = 200


def generate(n_models: int, dest: Path) -> list[str]:
    """Write the project; return the model names in DAG (creation) order."""
    rng = random.Random(n_models)
    (dest / "models").mkdir(parents=True, exist_ok=True)
    (dest / "seeds").mkdir(exist_ok=True)
    (dest / "dbt_project.yml").write_text(
        "name: synth\nversion: '1.0.0'\nconfig-version: 2\nprofile: synth\n"
        "vars:\n  simulation_year: 2025\n"
        "models:\n  synth:\n    +materialized: table\n"
    )
    (dest / "profiles.yml").write_text(
        "synth:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n"
        "      path: synth.duckdb\n      threads: 4\n"
        "    postgres:\n      type: postgres\n"
        "      host: \"{{ env_var('PLANALIGN_PG_HOST', '127.0.0.1') }}\"\n"
        "      port: \"{{ env_var('PLANALIGN_PG_PORT', '5432') | int }}\"\n"
        "      user: \"{{ env_var('PLANALIGN_PG_USER', 'postgres') }}\"\n"
        "      password: \"{{ env_var('PLANALIGN_PG_PASSWORD', '') }}\"\n"
        "      dbname: \"{{ env_var('PLANALIGN_PG_DATABASE', 'postgres') }}\"\n"
        "      schema: \"{{ env_var('PLANALIGN_PG_SCHEMA', 'synth') }}\"\n"
        "      threads: 4\n"
    )
    for seed in ("raw_people", "raw_rates"):
        lines = ["id,value"] + [f"{i},{rng.randint(1, 1000)}" for i in range(1, ROWS + 1)]
        (dest / "seeds" / f"{seed}.csv").write_text("\n".join(lines) + "\n")

    n_staging = max(2, n_models // 10)
    n_incremental = max(1, n_models // 20)
    n_marts = max(1, n_models // 10)
    n_intermediate = n_models - n_staging - n_incremental - n_marts
    names: list[str] = []
    schema = ["version: 2", "models:"]

    def add(name: str, sql: str) -> None:
        (dest / "models" / f"{name}.sql").write_text(sql)
        names.append(name)
        schema.extend([
            f"  - name: {name}",
            "    columns:",
            "      - name: id",
            "        data_tests: [unique, not_null]",
        ])

    for i in range(n_staging):
        seed = ("raw_people", "raw_rates")[i % 2]
        add(f"stg_{i:03d}", f"{{{{ config(materialized='view') }}}}\nselect id, value + {i} as value "
                            f"from {{{{ ref('{seed}') }}}}\n")
    for i in range(n_intermediate):
        parents = rng.sample(names, k=min(len(names), rng.randint(1, 3)))
        year = " + {{ var('simulation_year') }} - 2025" if i % 4 == 0 else ""
        first, *rest = parents
        joins = "".join(f"\njoin {{{{ ref('{p}') }}}} as p{j} using (id)" for j, p in enumerate(rest))
        extra = "".join(f" + p{j}.value" for j in range(len(rest)))
        add(f"int_{i:03d}", f"select id, (p.value{extra}) % 100000{year} as value\n"
                            f"from {{{{ ref('{first}') }}}} as p{joins}\n")
    for i in range(n_incremental):
        parent = rng.choice(names)
        add(f"inc_{i:03d}", (
            "{{ config(materialized='incremental', unique_key='id') }}\n"
            f"select id, value from {{{{ ref('{parent}') }}}}\n"
            "{% if is_incremental() %}where value >= 0{% endif %}\n"
        ))
    for i in range(n_marts):
        parents = rng.sample(names, k=min(len(names), 2))
        add(f"mart_{i:03d}", (
            f"select a.id, a.value + b.value as value from {{{{ ref('{parents[0]}') }}}} as a\n"
            f"join {{{{ ref('{parents[1]}') }}}} as b using (id)\n"
        ))
    (dest / "models" / "schema.yml").write_text("\n".join(schema) + "\n")
    return names


if __name__ == "__main__":
    count, where = int(sys.argv[1]), Path(sys.argv[2])
    print(f"{len(generate(count, where))} models in {where}")
