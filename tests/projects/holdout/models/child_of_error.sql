select id from {{ ref('runtime_error_model') }}
