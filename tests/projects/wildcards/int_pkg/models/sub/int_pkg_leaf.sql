select id from {{ ref('pkg_model') }}
