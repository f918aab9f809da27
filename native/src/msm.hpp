// Multi-scalar multiplication sum_i k_i·P_i by Pippenger's bucket method with signed
// digits, on every core.
//
// Each scalar (canonical, below 2^254) is cut into W windows of c bits and recoded into
// digits in [-2^(c-1), 2^(c-1)) (a digit at or above 2^(c-1) borrows 2^c from the next
// window), so a window needs 2^(c-1) buckets and a negative digit adds the negated point.
// W·c >= 256 leaves the top window room for the last carry. A task is one window over a
// range of points; each task fills its own buckets, sums them (running sum), and the
// windows are joined by Horner's rule. Zero digits (zero and small scalars, most of a
// witness) cost nothing but a look at the digit.
#pragma once

#include <cstdint>
#include <vector>

#include "curve.hpp"
#include "thread_pool.hpp"

namespace zk {

// The window that minimises W·(n + 3·2^(c-1)): additions of points into buckets plus
// the bucket sums (two full additions per bucket, a full one dearer than a mixed one).
inline unsigned msmWindow(size_t n) {
  unsigned best = 2;
  double bestCost = 1e300;
  for (unsigned c = 2; c <= 16; c++) {
    double w = (256 + c - 1) / c;
    double cost = w * (double(n) + 3.0 * double(1u << (c - 1)));
    if (cost < bestCost) {
      bestCost = cost;
      best = c;
    }
  }
  return best;
}

// Bits [pos, pos+len) of a 256-bit little-endian scalar, len <= 16.
inline unsigned scalarBits(const u64* k, unsigned pos, unsigned len) {
  if (pos >= 256) return 0;
  unsigned limb = pos / 64, off = pos % 64;
  u64 v = k[limb] >> off;
  if (off + len > 64 && limb + 1 < 4) v |= k[limb + 1] << (64 - off);
  return unsigned(v & ((u64(1) << len) - 1));
}

// Loads affine points of either group from their zkey bytes.
template <class F>
struct PointLoader;
template <>
struct PointLoader<Fq> {
  static constexpr size_t bytes = 64;
  static G1Affine load(const uint8_t* p) { return loadG1(p); }
};
template <>
struct PointLoader<Fq2> {
  static constexpr size_t bytes = 128;
  static G2Affine load(const uint8_t* p) { return loadG2(p); }
};

// sum_i k_i·P_i for n points (zkey layout, PointLoader<F>::bytes each) and n scalars
// (32 bytes each, canonical little-endian, each below 2^254).
template <class F>
Jacobian<F> msm(const uint8_t* points, const uint8_t* scalars, size_t n) {
  using J = Jacobian<F>;
  if (n == 0) return J::infinity();
  ThreadPool& pool = ThreadPool::get();
  const unsigned c = msmWindow(n);
  const unsigned W = (256 + c - 1) / c;
  const int half = 1 << (c - 1);
  const int full = 1 << c;

  // Signed digits, window-major so that a task reads its window's digits in order.
  std::vector<int16_t> digits(size_t(W) * n);
  pool.parallelFor(n, [&](size_t from, size_t to) {
    for (size_t i = from; i < to; i++) {
      u64 k[4];
      std::memcpy(k, scalars + 32 * i, 32);
      int carry = 0;
      for (unsigned w = 0; w < W; w++) {
        int d = int(scalarBits(k, w * c, c)) + carry;
        carry = d >= half ? 1 : 0;
        digits[size_t(w) * n + i] = int16_t(d - carry * full);
      }
    }
  });

  const size_t threads = pool.size();
  const size_t splits = std::max<size_t>(1, std::min<size_t>((2 * threads + W - 1) / W, n / 1024 + 1));
  const size_t per = (n + splits - 1) / splits;
  std::vector<J> partial(size_t(W) * splits, J::infinity());
  pool.run(size_t(W) * splits, [&](size_t task) {
    const unsigned w = unsigned(task / splits);
    const size_t s = task % splits;
    const size_t from = s * per, to = std::min(n, from + per);
    std::vector<J> buckets(half, J::infinity());
    const int16_t* dw = digits.data() + size_t(w) * n;
    for (size_t i = from; i < to; i++) {
      int d = dw[i];
      if (d == 0) continue;
      auto p = PointLoader<F>::load(points + PointLoader<F>::bytes * i);
      if (p.isInfinity()) continue;
      if (d > 0) {
        buckets[d - 1] = buckets[d - 1].addMixed(p);
      } else {
        buckets[-d - 1] = buckets[-d - 1].addMixed(-p);
      }
    }
    J sum = J::infinity(), acc = J::infinity();
    for (int b = half - 1; b >= 0; b--) {
      sum += buckets[b];
      acc += sum;
    }
    partial[task] = acc;
  });

  J total = J::infinity();
  for (int w = int(W) - 1; w >= 0; w--) {
    for (unsigned i = 0; i < c; i++) total = total.dbl();
    for (size_t s = 0; s < splits; s++) total += partial[size_t(w) * splits + s];
  }
  return total;
}

}  // namespace zk
