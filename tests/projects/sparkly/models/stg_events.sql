{{ config(materialized='view') }}
select event_id, cast(day as date) as day, cast(amount as int) as amount, kind from {{ ref('raw_events') }}
