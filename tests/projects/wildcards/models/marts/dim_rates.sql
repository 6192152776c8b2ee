select id from {{ ref('stg_rates') }}
