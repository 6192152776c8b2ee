def model(dbt, session):
    dbt.config(materialized="table")
    orders = dbt.ref("stg_orders")
    return orders.aggregate("customer_id, sum(amount) as score", "customer_id")
