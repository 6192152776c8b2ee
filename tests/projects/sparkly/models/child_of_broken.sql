select x from {{ ref('broken_runtime') }}
