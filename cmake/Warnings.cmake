# Our own targets call edge_warnings(target); third-party code (llhttp) does not.
function(edge_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wno-unused-parameter)
  # GCC 12 warns -Wrestrict inside libstdc++'s own std::string code when a string is built
  # from a literal and another string at -O2 and above (GCC bug 105329, a false positive):
  # "accessing 9223372036854775810 or more bytes ... may overlap". The warning points into
  # char_traits.h, not at anything our code could change; it is off for that compiler only.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
    target_compile_options(${target} PRIVATE -Wno-restrict)
  endif()
endfunction()
