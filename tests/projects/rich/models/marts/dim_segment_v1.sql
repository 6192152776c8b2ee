select distinct segment from {{ ref('stg_customers') }}
