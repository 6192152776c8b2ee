"""A project shaped like a large real one at the moment it breaks, written on the fly: one broken
model with hundreds of descendants in many folders, a failing test whose model an ephemeral chain
inlines into children dbt then skips ("ERROR SKIP"), and a green part beside them."""

from __future__ import annotations

from pathlib import Path

PROFILE = """wide:
  target: dev
  outputs:
    dev:
      type: duckdb
      path: wide.duckdb
      threads: 4
"""


def write_wide_project(root: Path, folders: int = 8, per_folder: int = 40, green: int = 20) -> Path:
    """The project under ``root/wide``: ``folders * per_folder`` descendants of ``base_broken``
    (a database error), each folder a chain that also reads ``base_ok``; ``checked`` fails its
    accepted_values test, ``eph_checked`` (ephemeral) inlines it into ``after_eph_a``/``_b``; ``green``
    models pass with a test each. Returns the project directory."""
    project = root / "wide"
    files = {
        "dbt_project.yml": "name: wide\nversion: '1.0'\nconfig-version: 2\nprofile: wide\n",
        "profiles.yml": PROFILE,
        "seeds/raw.csv": "id,v\n" + "".join(f"{i},{i % 3}\n" for i in range(1, 11)),
        "models/base/base_ok.sql": "select id, v from {{ ref('raw') }}\n",
        "models/base/base_broken.sql": "select id, no_such_column from {{ ref('raw') }}\n",
        "models/base/checked.sql": "select id, v from {{ ref('raw') }}\n",
        "models/base/eph_checked.sql": "{{ config(materialized='ephemeral') }}\nselect * from {{ ref('checked') }}\n",
        "models/base/after_eph_a.sql": "select * from {{ ref('eph_checked') }}\n",
        "models/base/after_eph_b.sql": "select * from {{ ref('eph_checked') }}\n",
        "models/base/schema.yml": (
            "version: 2\nmodels:\n  - name: checked\n    columns:\n      - name: v\n        data_tests:\n"
            "          - accepted_values:\n              arguments: {values: [0, 1]}\n"
        ),
    }
    green_yml = ["version: 2", "models:"]
    for i in range(green):
        files[f"models/green/green_{i:03d}.sql"] = "select id, v from {{ ref('base_ok') }}\n"
        green_yml += [f"  - name: green_{i:03d}", "    columns:", "      - name: id", "        data_tests: [not_null]"]
    files["models/green/schema.yml"] = "\n".join(green_yml) + "\n"
    for f in range(folders):
        for i in range(per_folder):
            parent = "base_broken" if i == 0 else f"d{f:02d}_{i - 1:03d}"
            files[f"models/area_{f:02d}/d{f:02d}_{i:03d}.sql"] = (
                f"select a.id from {{{{ ref('{parent}') }}}} as a join {{{{ ref('base_ok') }}}} as b using (id)\n"
            )
    for name, text in files.items():
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        (project / name).write_text(text)
    return project
