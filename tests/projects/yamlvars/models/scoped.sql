select {{ scope_label() }} as scope
