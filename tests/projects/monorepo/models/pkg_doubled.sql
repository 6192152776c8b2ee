select 1 as id, 2 as doubled
