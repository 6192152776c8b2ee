{{ config(tags=["events"]) }}
select
    b.employee_id,
    b.simulation_year,
    'promotion' as event_type,
    b.job_level + 1 as job_level,
    b.annual_salary as previous_salary,
    cast(round(b.annual_salary * 1.12, 2) as numeric(12, 2)) as new_salary
from {{ ref('int_baseline_workforce') }} as b
join {{ ref('stg_workforce_rates') }} as r on r.job_level = b.job_level
where b.job_level < 5
  and {{ pseudo_random('b.employee_id', 2) }} < r.promotion_rate
  and b.employee_id not in (select employee_id from {{ ref('int_terminations') }})
