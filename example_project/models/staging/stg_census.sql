select
    cast(employee_id as integer) as employee_id,
    cast(hire_date as date) as hire_date,
    cast(birth_year as integer) as birth_year,
    lower(department) as department,
    cast(job_level as integer) as job_level,
    cast(annual_salary as numeric(12, 2)) as annual_salary
from {{ ref('census') }}
