select y + 1 as next_y from {{ ref('years') }}
