select * from {{ ref('rich_pkg', 'pkg_customers') }}
