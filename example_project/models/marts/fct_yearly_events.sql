{{ config(
    materialized="incremental",
    unique_key=["simulation_year", "employee_id", "event_type"],
    incremental_strategy="delete+insert",
    tags=["events"],
) }}
{#- Every event of simulation_year; re-running a year replaces that year's rows. -#}
select employee_id, simulation_year, event_type, job_level, previous_salary, new_salary
from {{ ref('int_terminations') }}
union all
select employee_id, simulation_year, event_type, job_level, previous_salary, new_salary
from {{ ref('int_promotions') }}
union all
select employee_id, simulation_year, event_type, job_level, previous_salary, new_salary
from {{ ref('int_merit') }}
union all
select employee_id, simulation_year, event_type, job_level, previous_salary, new_salary
from {{ ref('int_hires') }}
