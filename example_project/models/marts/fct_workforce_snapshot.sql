{{ config(
    materialized="incremental",
    unique_key=["employee_id", "simulation_year"],
    incremental_strategy="delete+insert",
) }}
{#- End-of-year state of every employee: year N is built from year N-1's
    active employees (int_baseline_workforce) and year N's events. -#}
select
    b.simulation_year,
    b.employee_id,
    b.hire_date,
    b.birth_year,
    b.department,
    coalesce(m.job_level, b.job_level) as job_level,
    case when t.employee_id is not null then b.annual_salary
         else coalesce(m.new_salary, b.annual_salary) end as annual_salary,
    case when t.employee_id is not null then 'terminated' else 'active' end as employment_status,
    false as is_new_hire
from {{ ref('int_baseline_workforce') }} as b
left join {{ ref('int_terminations') }} as t on t.employee_id = b.employee_id
left join {{ ref('int_merit') }} as m on m.employee_id = b.employee_id
union all
select
    h.simulation_year,
    h.employee_id,
    cast('{{ var("simulation_year") }}-07-01' as date) as hire_date,
    {{ var('simulation_year') }} - 30 as birth_year,
    'operations' as department,
    h.job_level,
    h.new_salary as annual_salary,
    'active' as employment_status,
    true as is_new_hire
from {{ ref('int_hires') }} as h
