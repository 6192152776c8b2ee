select {{ this_macro_does_not_exist( }}
