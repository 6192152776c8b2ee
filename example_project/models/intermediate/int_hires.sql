{{ config(tags=["events"]) }}
{#- Replace every termination and grow by target_growth_rate.
    Row numbers come from a cross join of digits: portable, no generate_series. -#}
with digits as (
    select 0 as d union all select 1 union all select 2 union all select 3 union all select 4
    union all select 5 union all select 6 union all select 7 union all select 8 union all select 9
),
numbers as (
    select a.d * 100 + b.d * 10 + c.d + 1 as n
    from digits as a cross join digits as b cross join digits as c
),
needed as (
    select
        (select count(*) from {{ ref('int_terminations') }})
        + cast(ceil((select count(*) from {{ ref('int_baseline_workforce') }})
                    * {{ var('target_growth_rate') }}) as integer) as hires
)
select
    {{ var('simulation_year') }} * 100000 + numbers.n as employee_id,
    {{ var('simulation_year') }} as simulation_year,
    'hire' as event_type,
    case when numbers.n % 10 < 7 then 1 when numbers.n % 10 < 9 then 2 else 3 end as job_level,
    cast(null as numeric(12, 2)) as previous_salary,
    r.starting_salary as new_salary
from numbers
cross join needed
join {{ ref('stg_workforce_rates') }} as r
  on r.job_level = case when numbers.n % 10 < 7 then 1 when numbers.n % 10 < 9 then 2 else 3 end
where numbers.n <= needed.hires
