select range as n from range(100)
