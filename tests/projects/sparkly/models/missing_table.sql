select * from no_such_schema.no_such_table
