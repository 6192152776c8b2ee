select n * {{ var('multiplier') }} as n from {{ ref('base_numbers') }}
