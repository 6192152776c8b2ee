-- depends_on: {{ ref('stg_customers') }}
select {{ count_rows(ref('stg_customers')) }} as customers
