select c.customer_id, c.customer_name, coalesce(r.revenue, 0) as revenue
from {{ ref('eph_customer_names') }} as c left join {{ ref('fct_revenue') }} as r using (customer_id)
