select id from {{ ref('int_hires') }}
