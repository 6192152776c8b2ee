select cast({{ "'abc'" if var('red') else "'1'" }} as integer) as id, 'pending_review_by_the_finance_operations_team' as status
