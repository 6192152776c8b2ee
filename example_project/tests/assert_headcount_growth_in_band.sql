{{ config(severity="warn", tags=["snapshot"]) }}
-- Warn (not fail) when active headcount moves more than 10% in a simulated year.
with active as (
    select simulation_year, count(*) as headcount
    from {{ ref('fct_workforce_snapshot') }}
    where employment_status = 'active'
    group by simulation_year
)
select cur.simulation_year, prev.headcount as previous, cur.headcount as current
from active as cur
join active as prev on prev.simulation_year = cur.simulation_year - 1
where abs(cur.headcount - prev.headcount) > 0.10 * prev.headcount
