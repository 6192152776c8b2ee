select c.customer_id, c.name, count(o.order_id) as orders, sum(o.amount) as revenue,
       {{ rich_pkg.cents('sum(o.amount)') }} as revenue_cents
from {{ ref('eph_enterprise') }} c
left join {{ ref('stg_orders') }} o using (customer_id)
group by 1, 2
