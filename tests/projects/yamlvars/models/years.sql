select {{ var('year', 2025) }} as y
