{{ config(alias='pkg_stg_customers') }}
select 42 as customer_id
