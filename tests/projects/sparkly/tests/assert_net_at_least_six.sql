-- Fails on purpose: one day's net is 5.
select * from {{ ref('daily_incremental') }} where net < 6
