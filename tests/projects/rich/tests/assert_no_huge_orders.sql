{{ config(tags=['finance']) }}
select * from {{ ref('orders_incremental') }} where amount > {{ 100 if var('red') else 1000 }}
