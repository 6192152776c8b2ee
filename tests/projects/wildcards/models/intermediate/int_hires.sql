select id from {{ ref('stg_people') }}
