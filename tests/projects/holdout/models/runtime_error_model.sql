select cast('abc' as integer) as id
