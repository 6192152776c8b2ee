select * from {{ ref('missing_model' }}
