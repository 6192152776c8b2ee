select id from {{ ref('stg_people') }} where id > 5
