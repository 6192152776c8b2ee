select customer_id, sum(amount) as revenue, count(*) as orders
from {{ ref('stg_orders') }} where status = 'paid' group by 1
