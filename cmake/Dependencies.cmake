# Every dependency comes from Debian 12's packages (scripts/setup.sh installs them).
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)
pkg_check_modules(LIBUV REQUIRED IMPORTED_TARGET libuv)
find_package(simdjson CONFIG REQUIRED)
find_package(RapidJSON CONFIG REQUIRED)
find_package(yaml-cpp CONFIG REQUIRED)
find_package(GTest CONFIG REQUIRED)
find_package(ZLIB REQUIRED)  # crc32 for Bedrock's event-stream framing

# The node's allocator. A request's buffers are made on a worker and some freed on the ledger
# writer; glibc's malloc spent ~20 % of a worker's instructions in its slow paths
# (_int_malloc, malloc_consolidate) under load, jemalloc's per-thread caches and size classes
# take a fifth off the worker's instructions per request (bench/threads.sh, CALLGRIND=1).
# RocksDB recommends it too. Off under the sanitizers, which bring their own allocator.
if(edge_sanitize)
  set(EDGE_JEMALLOC_DEFAULT OFF)
else()
  set(EDGE_JEMALLOC_DEFAULT ON)
endif()
option(EDGE_JEMALLOC "Link the llm-edge binary with jemalloc" ${EDGE_JEMALLOC_DEFAULT})
if(EDGE_JEMALLOC)
  pkg_check_modules(JEMALLOC REQUIRED IMPORTED_TARGET jemalloc)
endif()

# mbedTLS 2.28 ships neither a CMake config nor a .pc file.
find_library(MBEDTLS_LIB mbedtls REQUIRED)
find_library(MBEDX509_LIB mbedx509 REQUIRED)
find_library(MBEDCRYPTO_LIB mbedcrypto REQUIRED)
add_library(mbedtls_all INTERFACE)
target_link_libraries(mbedtls_all INTERFACE ${MBEDTLS_LIB} ${MBEDX509_LIB} ${MBEDCRYPTO_LIB})

add_library(rapidjson_headers INTERFACE)
target_include_directories(rapidjson_headers SYSTEM INTERFACE ${RAPIDJSON_INCLUDE_DIRS})
# RapidJSON: std::string support and SSE4.2 skipping of whitespace.
target_compile_definitions(rapidjson_headers INTERFACE RAPIDJSON_HAS_STDSTRING=1)

# llhttp: Debian's node-llhttp ships the generated C sources; we compile them ourselves.
# Not warnings-clean under -Wextra (generated code), so no edge_warnings() here.
set(LLHTTP_SRC_DIR /usr/share/llhttp)
set(LLHTTP_INCLUDE_DIR /usr/share/include/llhttp)
add_library(llhttp STATIC ${LLHTTP_SRC_DIR}/llhttp.c ${LLHTTP_SRC_DIR}/api.c ${LLHTTP_SRC_DIR}/http.c)
target_include_directories(llhttp SYSTEM PUBLIC ${LLHTTP_INCLUDE_DIR})
target_compile_options(llhttp PRIVATE -O2 -msse4.2)
set_target_properties(llhttp PROPERTIES POSITION_INDEPENDENT_CODE ON)
