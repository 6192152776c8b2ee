select id from {{ ref('attaches_other') }}
