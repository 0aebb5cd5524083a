// The translation unit that builds the tests' precompiled header (edge_test_pch in
// cmake/Module.cmake); it has no code of its own.
