{{ config(materialized='table', event_time='ts') }}
select 1 as id, timestamp '2023-06-01' as ts union all select 2, timestamp '2024-06-01' union all select 3, timestamp '2025-06-01'
