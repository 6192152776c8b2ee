select 1 as id, 'from the package' as origin
