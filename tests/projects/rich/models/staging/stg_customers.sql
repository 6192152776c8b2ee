select id as customer_id, name, segment from {{ ref('raw_customers') }}
