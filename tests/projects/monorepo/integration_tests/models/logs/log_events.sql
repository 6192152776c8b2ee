select id, 'logged' as what from {{ ref('it_uses_pkg') }}
