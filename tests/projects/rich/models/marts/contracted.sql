select {{ "'not a number'" if var('red') else '1' }} as id, 'x' as label
