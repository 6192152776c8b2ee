select * from (values (1, 'a@b'), (2, 'a@b'), (3, 'a@b'), (4, 'x@y')) as t(id, kind)
