select
    cast(job_level as integer) as job_level,
    cast(termination_rate as numeric(6, 4)) as termination_rate,
    cast(promotion_rate as numeric(6, 4)) as promotion_rate,
    cast(merit_rate + {{ var('merit_rate_adjustment') }} as numeric(6, 4)) as merit_rate,
    cast(starting_salary as numeric(12, 2)) as starting_salary
from {{ ref('workforce_rates') }}
