select * from {{ ref('mb') }}
