#include <doctest/doctest.h>

#include <ostream> // doctest prints std::error_code through it

#include "bytes.hpp"

#include "stream/byte_ring.hpp"

#include <vector>

using tern::stream::byte_ring;

TEST_CASE("byte_ring: data survives sliding and growth across the wrap point") {
  byte_ring r;
  CHECK(r.capacity() == 0);
  const auto data = tern::stream::test::pattern(20000);
  // Write 3000, consume 2500, repeatedly: offsets wrap the 4 KiB ring.
  std::uint64_t written = 0, consumed = 0;
  while (written + 3000 <= 12000) {
    r.reserve_to(written + 3000);
    r.write(written, std::span{data}.subspan(written, 3000));
    written += 3000;
    std::vector<std::byte> out(2500);
    r.read(consumed, out);
    CHECK(std::equal(out.begin(), out.end(), data.begin() + static_cast<std::ptrdiff_t>(consumed)));
    consumed += 2500;
    r.advance_to(consumed);
  }
  const auto cap_before = r.capacity();
  // Grow with live data straddling the wrap: it must be re-homed intact.
  r.reserve_to(consumed + 9000);
  CHECK(r.capacity() > cap_before);
  r.write(written, std::span{data}.subspan(written, consumed + 9000 - written));
  std::vector<std::byte> out(9000);
  r.read(consumed, out);
  CHECK(std::equal(out.begin(), out.end(), data.begin() + static_cast<std::ptrdiff_t>(consumed)));
}

TEST_CASE("byte_ring: contiguous stops at the physical end of the ring") {
  byte_ring r;
  r.reserve_to(4096);
  r.advance_to(4000);
  r.reserve_to(4200);
  CHECK(r.capacity() == 4096);
  CHECK(r.contiguous(4000, 1000).size() == 96);
  CHECK(r.contiguous(4096, 5000).size() == 4000); // up to the end of the window
  CHECK(r.contiguous(4000, 10).size() == 10);
}
