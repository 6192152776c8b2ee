select * from {{ ref('slow_model') }}
