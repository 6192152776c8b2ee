{{ config(tags=["snapshot"]) }}
-- One row per employee and simulated year.
select employee_id, simulation_year, count(*) as n
from {{ ref('fct_workforce_snapshot') }}
group by employee_id, simulation_year
having count(*) > 1
