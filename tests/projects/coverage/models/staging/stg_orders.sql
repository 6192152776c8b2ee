select * from (values (1, 10, 25.0, 'paid'), (2, 10, 40.0, 'paid'), (3, 11, 12.5, 'refunded'))
    as t(order_id, customer_id, amount, status)
