select * from {{ ref('int_hires') }} where id < 0
