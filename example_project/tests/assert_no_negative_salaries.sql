{{ config(tags=["snapshot"]) }}
select employee_id, simulation_year, annual_salary
from {{ ref('fct_workforce_snapshot') }}
where annual_salary is null or annual_salary <= 0
