-- Fails on purpose: grace is in the data.
select * from {{ ref('good_model') }} where name = 'grace'
