select day, sum(case when kind = 'sale' then amount else -amount end) as net from {{ ref('stg_events') }} group by day
