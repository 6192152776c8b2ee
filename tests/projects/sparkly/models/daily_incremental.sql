{{ config(materialized='incremental', incremental_strategy='insert_overwrite', partition_by=['day']) }}
select net, day from {{ ref('daily') }}
{% if is_incremental() %} where day >= (select max(day) from {{ this }}) {% endif %}
