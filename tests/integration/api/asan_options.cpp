// Asio 1.22's recycling allocator frees memory from aligned_alloc through
// operator delete (asio/detail/memory.hpp, fixed upstream later); ASan reports
// that as alloc-dealloc-mismatch inside Asio itself. Everything else stays on.
extern "C" const char* __asan_default_options() { return "alloc_dealloc_mismatch=0"; }
