{{ config(tags=["events"]) }}
{#- Merit applies to everyone who stays, on top of a promotion raise. -#}
select
    b.employee_id,
    b.simulation_year,
    'merit' as event_type,
    coalesce(p.job_level, b.job_level) as job_level,
    coalesce(p.new_salary, b.annual_salary) as previous_salary,
    cast(round(coalesce(p.new_salary, b.annual_salary) * (1 + r.merit_rate), 2) as numeric(12, 2)) as new_salary
from {{ ref('int_baseline_workforce') }} as b
join {{ ref('stg_workforce_rates') }} as r on r.job_level = b.job_level
left join {{ ref('int_promotions') }} as p on p.employee_id = b.employee_id
where b.employee_id not in (select employee_id from {{ ref('int_terminations') }})
