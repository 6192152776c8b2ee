{{ config(tags=["nightly"]) }}
select id, name, team from {{ ref('people') }}
