select raise_error('broken_runtime fails on purpose') as x
