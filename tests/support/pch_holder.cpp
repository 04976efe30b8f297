// Builds the tests' precompiled header (cmake/TernPrecompiledHeaders.cmake).
// Linked like a test program with no test cases (the doctest main comes
// from tern_test_support); never run.
