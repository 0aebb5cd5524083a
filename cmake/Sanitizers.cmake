# Sanitizer and fuzzing flags. Included before any target exists, so that they reach every
# target, third-party code compiled here (llhttp) included.
#
# EDGE_SANITIZE=ON  AddressSanitizer + UndefinedBehaviorSanitizer everywhere (gcc or clang);
#                   any UB report aborts (-fno-sanitize-recover).
# EDGE_FUZZ=ON      clang only. The same sanitizers, plus -fsanitize=fuzzer-no-link on every
#                   library, test and program, so that libFuzzer sees the coverage of the code
#                   under test and not only of the harness. Only the harnesses in tests/fuzz
#                   link libFuzzer (-fsanitize=fuzzer); everything else links the sanitizer
#                   runtimes, whose coverage callbacks are no-ops without it. Asserts stay on
#                   whatever the build type: a broken invariant is a finding.
set(edge_sanitize ${EDGE_SANITIZE})
if(EDGE_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang" OR NOT CMAKE_C_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR
      "EDGE_FUZZ=ON needs clang for both C and C++ (libFuzzer); this build uses "
      "${CMAKE_C_COMPILER_ID} / ${CMAKE_CXX_COMPILER_ID}. Configure a fresh build directory "
      "with: CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DEDGE_FUZZ=ON")
  endif()
  include(CheckCXXSourceCompiles)
  set(CMAKE_REQUIRED_FLAGS -fsanitize=fuzzer)
  set(CMAKE_REQUIRED_LINK_OPTIONS -fsanitize=fuzzer)
  check_cxx_source_compiles([[
    #include <cstddef>
    #include <cstdint>
    extern "C" int LLVMFuzzerTestOneInput(const uint8_t*, size_t) { return 0; }]]
    EDGE_HAVE_LIBFUZZER)
  unset(CMAKE_REQUIRED_FLAGS)
  unset(CMAKE_REQUIRED_LINK_OPTIONS)
  if(NOT EDGE_HAVE_LIBFUZZER)
    message(FATAL_ERROR "EDGE_FUZZ=ON: clang cannot link -fsanitize=fuzzer here; "
                        "install libclang-rt-14-dev (scripts/setup.sh does)")
  endif()
  set(edge_sanitize ON)
endif()

if(edge_sanitize)
  add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=undefined
                      -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
  if(CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    # The few checks switched off, each at one place and with its reason.
    add_compile_options(-fsanitize-ignorelist=${CMAKE_CURRENT_LIST_DIR}/ubsan_ignorelist.txt)
  endif()
endif()
if(EDGE_FUZZ)
  add_compile_options(-fsanitize=fuzzer-no-link -UNDEBUG)
endif()
