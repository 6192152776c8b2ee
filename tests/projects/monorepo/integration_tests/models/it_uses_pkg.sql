select id, doubled from {{ ref('pkg_doubled') }}
