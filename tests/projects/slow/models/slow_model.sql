select sum(hash(a.range + b.range * 7)) as h, (select count(*) from {{ ref('fast_upstream') }}) as upstream
from range({{ var('slow_rows') }}) as a, range({{ var('slow_rows') }}) as b
