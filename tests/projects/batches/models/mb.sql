{{ config(materialized='incremental', incremental_strategy='microbatch', event_time='ts', batch_size='year', begin='2023-01-01', concurrent_batches=false) }}
select id, ts, case when '{{ model.batch.event_time_start }}' like '2024%' then error('batch 2024 is broken on purpose') else 1 end as ok
from {{ ref('events') }}
