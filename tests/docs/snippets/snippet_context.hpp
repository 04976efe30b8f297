#pragma once
// What every docs/api.md snippet may take for granted: the public API and
// Asio's coroutine support, `steady_clock` and the chrono literals. Only
// public headers: a snippet that needs anything from src/ is wrong.

#include <tern/tern.hpp>

#include <asio/awaitable.hpp>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/read_until.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

using namespace std::chrono_literals;
using std::chrono::steady_clock;
