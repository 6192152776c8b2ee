{{ config(tags=["events"]) }}
select
    b.employee_id,
    b.simulation_year,
    'termination' as event_type,
    b.job_level,
    b.annual_salary as previous_salary,
    b.annual_salary as new_salary
from {{ ref('int_baseline_workforce') }} as b
join {{ ref('stg_workforce_rates') }} as r on r.job_level = b.job_level
where {{ pseudo_random('b.employee_id', 1) }} < r.termination_rate
