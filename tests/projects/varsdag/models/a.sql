select 'a' as picked
