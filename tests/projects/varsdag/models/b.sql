select 'b' as picked
