select no_such_column from {{ ref('stg_events') }}
