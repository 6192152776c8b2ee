select n, n * {{ var('factor') }} as scaled from {{ ref('numbers') }}
