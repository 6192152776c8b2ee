select id, 'b' as code from {{ ref('stg_rates') }}
