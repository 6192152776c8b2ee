"""Simulate a range of years on the example project through DbtRunner.

    python example_project/simulate.py 2025 2027

Each year is one `dbt build` for that `simulation_year` (year N builds on N-1),
then a one-line summary per year is read back from DuckDB.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import duckdb

from pytest_planalign_dbt import DbtError, DbtRunner

PROJECT = Path(__file__).resolve().parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("start_year", type=int)
    parser.add_argument("end_year", type=int)
    parser.add_argument("--executor", choices=["inprocess", "subprocess"], default="inprocess")
    parser.add_argument("--quiet", action="store_true", help="do not stream dbt's lines")
    args = parser.parse_args(argv)
    if args.end_year < args.start_year:
        parser.error("end_year must not be before start_year")

    runner = DbtRunner(PROJECT, threads=4, executor=args.executor)
    for year in range(args.start_year, args.end_year + 1):
        try:
            result = runner.execute_command(
                ["build"], description=f"Simulating {year}", simulation_year=year,
                dbt_vars={"start_year": args.start_year}, stream_output=not args.quiet,
            )
        except DbtError as exc:
            print(exc, file=sys.stderr)
            return 1
        print(f"simulated {year}: {len(result.nodes)} nodes in {result.execution_time:.1f}s")

    db = os.environ.get("PLANALIGN_DUCKDB_PATH", str(PROJECT / "simulation.duckdb"))
    with duckdb.connect(db, read_only=True) as con:
        rows = con.execute("""
            select simulation_year,
                   count(*) filter (where employment_status = 'active') as active,
                   count(*) filter (where employment_status = 'terminated') as terminated,
                   count(*) filter (where is_new_hire) as hires,
                   round(avg(annual_salary) filter (where employment_status = 'active'), 0) as avg_salary
            from fct_workforce_snapshot group by 1 order by 1""").fetchall()
    print(f"{'year':>6} {'active':>7} {'left':>6} {'hired':>6} {'avg salary':>11}")
    for year, active, left, hired, salary in rows:
        print(f"{year:>6} {active:>7} {left:>6} {hired:>6} {salary:>11,.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
