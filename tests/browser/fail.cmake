# Fails a CTest test with MESSAGE: a browser test whose prerequisites are missing must fail
# (and say what to install), not pass by skipping.
message(FATAL_ERROR "${MESSAGE}")
