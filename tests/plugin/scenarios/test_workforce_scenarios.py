"""The scenario-matrix pattern from the README, run by tests/plugin/test_xdist.py.

Each scenario simulates 2025-2027 on example_project in its own DuckDB file, so under
`pytest -n 2` two scenarios run at once.
"""

import math

import pytest

SCENARIOS = {
    "baseline": {"target_growth_rate": 0.03},
    "fast_growth": {"target_growth_rate": 0.10},
    "no_growth": {"target_growth_rate": 0.0},
    "other_seed": {"target_growth_rate": 0.03, "random_seed": 7},
}


@pytest.mark.parametrize("name", SCENARIOS)
def test_workforce_scenario(dbt_scenario, name):
    dbt = dbt_scenario(name, SCENARIOS[name])
    years = (2025, 2026, 2027)
    for year in years:
        assert dbt.build(dbt_vars={"simulation_year": year}).success
    active = dbt.rows("fct_workforce_snapshot", where="employment_status = 'active'")
    # Hires replace every leaver plus ceil(headcount * growth): active grows by that much a year.
    expected, growth = 300, SCENARIOS[name]["target_growth_rate"]
    for year in years:
        expected += math.ceil(expected * growth)
        assert sum(1 for row in active if row["simulation_year"] == year) == expected, year
