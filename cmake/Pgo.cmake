# Profile-guided optimization (GCC), for release artifacts: scripts/build_pgo.sh runs the three
# steps in one build directory (the profile's file names carry the object files' paths).
#
# EDGE_PGO=generate  every target instrumented; a process that exits writes its counts under
#                    EDGE_PGO_DIR (threads update them atomically: the node has several).
# EDGE_PGO=use       compiled with those counts: hot paths laid out together and inlined,
#                    cold ones moved aside. Code the training never ran stays optimized as
#                    without a profile (-fprofile-partial-training), not for size; a source
#                    without counts (never run) is compiled without them, and one changed
#                    since the training warns that its counts no longer match (GCC's default
#                    makes that an error) and is compiled without them too.
# Measured in bench/README.md ("Profile-guided build").
set(EDGE_PGO "" CACHE STRING "Profile-guided optimization: empty (off), generate or use")
set(EDGE_PGO_DIR "${CMAKE_BINARY_DIR}/pgo-profile" CACHE PATH "Where EDGE_PGO keeps its counts")
if(EDGE_PGO)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "GNU" OR NOT CMAKE_C_COMPILER_ID STREQUAL "GNU")
    message(FATAL_ERROR "EDGE_PGO needs GCC (its -fprofile-* options and profile format)")
  endif()
  if(EDGE_SANITIZE OR EDGE_FUZZ)
    message(FATAL_ERROR "EDGE_PGO is for release builds, not with EDGE_SANITIZE or EDGE_FUZZ")
  endif()
  if(EDGE_PGO STREQUAL "generate")
    add_compile_options(-fprofile-generate=${EDGE_PGO_DIR} -fprofile-update=atomic)
    add_link_options(-fprofile-generate=${EDGE_PGO_DIR})
  elseif(EDGE_PGO STREQUAL "use")
    if(NOT IS_DIRECTORY "${EDGE_PGO_DIR}")
      message(FATAL_ERROR "EDGE_PGO=use: no profile at ${EDGE_PGO_DIR} (EDGE_PGO=generate first)")
    endif()
    # -Wno-stringop-overflow: with the profile, GCC 12 inlines RapidJSON's Writer into
    # providers/json_text.cc's JsonString and then warns that a byte is written past a buffer
    # the Writer reserved just before (the flow-sensitive warning's known false positives,
    # GCC bug 88443). Plain builds keep the warning.
    add_compile_options(-fprofile-use=${EDGE_PGO_DIR} -fprofile-partial-training
                        -Wno-missing-profile -Wno-error=coverage-mismatch
                        -Wno-stringop-overflow)
  else()
    message(FATAL_ERROR "EDGE_PGO must be empty, generate or use, not '${EDGE_PGO}'")
  endif()
endif()
