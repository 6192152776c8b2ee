-- depends_on: {{ ref('raw_orders') }}
select order_id, customer_id, amount, ordered_at from {{ source('raw', 'raw_orders') }}
