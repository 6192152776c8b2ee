select cast(ordered_at as date) as day, sum(amount) as revenue from {{ ref('stg_orders') }} group by 1
