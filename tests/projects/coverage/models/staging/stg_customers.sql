select * from (values (10, 'Ada'), (11, 'Grace')) as t(customer_id, customer_name)
