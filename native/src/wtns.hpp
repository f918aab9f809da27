// A witness in snarkjs's .wtns format: section 1 (u32 n8, the prime on n8 bytes, u32
// count), section 2 (count values of n8 bytes, canonical little-endian). Checked: bn128's
// scalar field, the value count against section 2's size, every value below r.
#pragma once

#include <atomic>
#include <string>

#include "binfile.hpp"
#include "field.hpp"
#include "thread_pool.hpp"
#include "zkey.hpp"

namespace zk {

struct Witness {
  const uint8_t* values = nullptr;  // count · 32 bytes
  uint32_t count = 0;
};

inline Witness parseWtns(const uint8_t* data, uint64_t size) {
  BinFile f(data, size, "wtns", 2, "witness", "PROVE_BAD_WITNESS");
  Reader r(f, f.section(1), "witness header");
  uint32_t n8 = r.u32();
  if (n8 != 32) f.fail("the witness has " + std::to_string(n8) + "-byte values, not bn128's 32");
  if (!isR(r.take(32))) f.fail("the witness is for another field than bn128's scalar field");
  Witness w;
  w.count = r.u32();
  if (r.left() != 0) f.fail("the witness header section is too long");
  w.values = f.sectionOfSize(2, uint64_t(w.count) * 32, "values");
  if (w.count == 0) f.fail("the witness has no values");
  std::atomic<bool> ok{true};
  ThreadPool::get().parallelFor(w.count, [&](size_t from, size_t to) {
    for (size_t i = from; i < to; i++)
      if (!Fr::lessThanModulus(w.values + 32 * i)) ok = false;
  }, 1 << 14);
  if (!ok) f.fail("the witness has a value at or above the field modulus r");
  return w;
}

}  // namespace zk
