# Our own targets call edge_warnings(target); third-party code (llhttp) does not.
function(edge_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wno-unused-parameter)
endfunction()
