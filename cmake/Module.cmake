# gtest reports a test whose suite set-up failed as "[  SKIPPED ]", which CTest's default skip
# pattern would count as a pass. No pattern here: such a test exits non-zero and fails,
# while a test that calls GTEST_SKIP() on purpose (no IPv6, say) exits 0 and passes.
set(EDGE_GTEST_PROPERTIES SKIP_REGULAR_EXPRESSION "EDGE_NEVER_SKIPPED")

# edge_test_code(<target>): a test's own code (its *_test.cc, the e2e harness) is compiled for
# build time, not run time. The code under test is in the libraries, compiled as the build type
# says; the tests spend their time waiting on nodes and sockets, and two thirds of a build's
# compile time was theirs at -O3 / -O2 -g. gcc: -Og (half the time of -O3); clang: -O0 (-O1 saves
# nothing under ASan), and line tables only where the build carries debug information, which is
# what a sanitizer's stack trace reads. The fuzz harnesses keep the build's flags: their speed is
# the fuzzing's.
function(edge_test_code target)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    target_compile_options(${target} PRIVATE $<$<NOT:$<CONFIG:Debug>>:-Og>)
  else()
    target_compile_options(${target} PRIVATE $<$<NOT:$<CONFIG:Debug>>:-O0>
                                             $<$<CONFIG:RelWithDebInfo>:-g1>)
  endif()
endfunction()

# edge_test_pch(<target>): the test's own code starts from one precompiled header, built once for
# every test: gtest, gmock and the standard headers most tests include. Parsing those took much
# of a test's compile time, and there are over a hundred tests. Same flags as every test
# (edge_test_code); a test's own -D definitions do not reach these headers.
function(edge_test_pch target)
  if(NOT TARGET edge_test_pch)
    add_library(edge_test_pch STATIC ${PROJECT_SOURCE_DIR}/tests/pch/test_pch.cc)
    target_link_libraries(edge_test_pch PRIVATE GTest::gmock GTest::gtest)
    target_precompile_headers(edge_test_pch PRIVATE
      <gtest/gtest.h> <gmock/gmock.h> <algorithm> <atomic> <chrono> <filesystem> <fstream>
      <functional> <map> <memory> <mutex> <random> <set> <sstream> <string> <thread> <vector>)
    edge_warnings(edge_test_pch)
    edge_test_code(edge_test_pch)
  endif()
  target_precompile_headers(${target} REUSE_FROM edge_test_pch)
endfunction()

# EDGE_UNITY_BUILD: a library's sources are compiled a batch at a time (CMake's unity build).
# Each batch is one translation unit, so the headers its files share (the standard library,
# simdjson, RocksDB, ...) are parsed once per batch, not once per file. For builds whose speed
# is their compile time: CI's sanitizer build (scripts/test.sh; with the tests' precompiled
# header, 497 s -> 310 s on 2 cores, tests/README.md). Off by default, because GCC inlines
# less in a large translation unit (its inline-unit-growth limit): the node's worker ran ~7 %
# more instructions per request built this way. While it is on, names in a source's anonymous
# namespace must differ from those of the library's other sources in the same namespace (the
# compiler says which clash).
option(EDGE_UNITY_BUILD "Compile each library's sources in batches (unity build)" OFF)

# edge_module(<target> DIRS <dir>... DEPS <lib>... [TEST_DEPS <lib>...])
# A static library of every .cc in DIRS except *_test.cc, and one GoogleTest executable per
# *_test.cc beside them; main.cc files are left to their add_executable. Globbing keeps helpers that add files from editing the same list.
function(edge_module target)
  cmake_parse_arguments(M "" "" "DIRS;DEPS;TEST_DEPS" ${ARGN})
  set(srcs)
  set(tests)
  foreach(dir ${M_DIRS})
    file(GLOB dir_srcs CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/${dir}/*.cc)
    foreach(f ${dir_srcs})
      if(f MATCHES "/main\\.cc$")
        continue()  # a program's entry point, linked by its own add_executable
      elseif(f MATCHES "_test\\.cc$")
        list(APPEND tests ${f})
      else()
        list(APPEND srcs ${f})
      endif()
    endforeach()
  endforeach()
  if(srcs)
    add_library(${target} STATIC ${srcs})
    if(EDGE_UNITY_BUILD)
      set_target_properties(${target} PROPERTIES UNITY_BUILD ON UNITY_BUILD_BATCH_SIZE 8)
    endif()
    target_include_directories(${target} PUBLIC ${PROJECT_SOURCE_DIR})
    target_link_libraries(${target} PUBLIC ${M_DEPS})
    edge_warnings(${target})
  else()  # headers only, so far
    add_library(${target} INTERFACE)
    target_include_directories(${target} INTERFACE ${PROJECT_SOURCE_DIR})
    target_link_libraries(${target} INTERFACE ${M_DEPS})
  endif()
  foreach(t ${tests})
    get_filename_component(name ${t} NAME_WE)
    add_executable(${name} ${t})
    target_link_libraries(${name} PRIVATE ${target} ${M_TEST_DEPS} GTest::gmock GTest::gtest_main)
    target_compile_definitions(${name} PRIVATE EDGE_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
    edge_warnings(${name})
    edge_test_code(${name})
    edge_test_pch(${name})
    gtest_discover_tests(${name} DISCOVERY_TIMEOUT 30 PROPERTIES ${EDGE_GTEST_PROPERTIES})
  endforeach()
endfunction()
