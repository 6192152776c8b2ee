select * from {{ picked_ref() }}
