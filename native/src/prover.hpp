// Groth16 over BN254, step for step snarkjs 0.7.6's groth16_prove (so its keys and proofs):
//   buildAbc  A, B of the QAP at the witness on the domain, C = A·B pointwise;
//   fft       each to the odd coset (ifft, times g^i with g = w_(power+1), fft) and
//             H = A·B - C there, out of Montgomery form: the scalars of the key's H points;
//   msmG1     A, B1, C over the witness (C over the private part), H over the domain;
//   msmG2     B2 over the witness;
//   other     blinding with r, s and the final sums.
#pragma once

#include <atomic>
#include <chrono>
#include <string>
#include <vector>

#include "curve.hpp"
#include "fft.hpp"
#include "msm.hpp"
#include "thread_pool.hpp"
#include "wtns.hpp"
#include "zkey.hpp"

namespace zk {

enum Stage { READ, BUILD_ABC, FFT, MSM_G1, MSM_G2, OTHER, N_STAGES };

struct Proof {
  G1Affine a, c;
  G2Affine b;
  uint32_t nPublic = 0;
  double ms[N_STAGES] = {0, 0, 0, 0, 0, 0};
};

// A, B (evaluations on the domain, Montgomery form) and C = A·B from the key's coefficient
// section (`coefs`: the u32 count, then the entries) and the witness (canonical values).
// Every entry is checked (matrix, row, signal, value) before any is used.
inline void buildAbc(const uint8_t* coefs, uint32_t nCoefs, const uint8_t* witness, uint32_t nVars,
                     uint32_t domainSize, std::vector<Fr>& A, std::vector<Fr>& B, std::vector<Fr>& C) {
  ThreadPool& pool = ThreadPool::get();
  const uint8_t* e = coefs + 4;
  auto row = [&](size_t i) {
    uint32_t v;
    std::memcpy(&v, e + i * COEF_BYTES + 4, 4);
    return v;
  };
  std::atomic<int64_t> bad{-1};
  std::atomic<bool> sorted{true};
  pool.parallelFor(nCoefs, [&](size_t from, size_t to) {
    for (size_t i = from; i < to; i++) {
      uint32_t m, c, s;
      std::memcpy(&m, e + i * COEF_BYTES, 4);
      std::memcpy(&c, e + i * COEF_BYTES + 4, 4);
      std::memcpy(&s, e + i * COEF_BYTES + 8, 4);
      if (m > 1 || c >= domainSize || s >= nVars || !Fr::lessThanModulus(e + i * COEF_BYTES + 12)) {
        int64_t expected = -1;
        bad.compare_exchange_strong(expected, int64_t(i));
      }
      if (i > 0 && row(i - 1) > c) sorted = false;
    }
  }, 1 << 14);
  if (bad.load() >= 0) {
    size_t i = size_t(bad.load());
    uint32_t m, c, s;
    std::memcpy(&m, e + i * COEF_BYTES, 4);
    std::memcpy(&c, e + i * COEF_BYTES + 4, 4);
    std::memcpy(&s, e + i * COEF_BYTES + 8, 4);
    std::string why = m > 1 ? "is for matrix " + std::to_string(m) + ", not A (0) or B (1)"
                    : c >= domainSize ? "is for row " + std::to_string(c) + ", outside the domain of " + std::to_string(domainSize)
                    : s >= nVars ? "is for signal " + std::to_string(s) + " of " + std::to_string(nVars)
                                 : "has a value at or above the field modulus r";
    throw ProveFailure("PROVE_BAD_KEY", "coefficient " + std::to_string(i) + " " + why);
  }

  A.assign(domainSize, Fr::zero());
  B.assign(domainSize, Fr::zero());
  C.resize(domainSize);
  auto accumulate = [&](size_t i) {
    const uint8_t* p = e + i * COEF_BYTES;
    uint32_t m, c, s;
    std::memcpy(&m, p, 4);
    std::memcpy(&c, p + 4, 4);
    std::memcpy(&s, p + 8, 4);
    // coefficient·R^2 times the canonical witness value, reduced once: Montgomery form.
    Fr term = Fr::fromMontBytes(p + 12) * Fr::fromMontBytes(witness + 32 * size_t(s));
    (m == 0 ? A : B)[c] += term;
  };
  if (sorted) {
    // Shares of the entries, each boundary moved forward to the start of a row so that no
    // two shares write the same row.
    const size_t shares = pool.size() * 4;
    std::vector<size_t> start(shares + 1, nCoefs);
    start[0] = 0;
    for (size_t s = 1; s < shares; s++) {
      size_t b = std::max(start[s - 1], size_t(nCoefs) * s / shares);
      while (b > 0 && b < nCoefs && row(b) == row(b - 1)) b++;
      start[s] = b;
    }
    pool.run(shares, [&](size_t s) {
      for (size_t i = start[s]; i < start[s + 1]; i++) accumulate(i);
    });
  } else {
    // Each share keeps the entries of its own rows.
    const size_t shares = pool.size();
    pool.run(shares, [&](size_t s) {
      const uint32_t lo = uint32_t(uint64_t(domainSize) * s / shares);
      const uint32_t hi = uint32_t(uint64_t(domainSize) * (s + 1) / shares);
      for (size_t i = 0; i < nCoefs; i++) {
        uint32_t c = row(i);
        if (c >= lo && c < hi) accumulate(i);
      }
    });
  }
  pool.parallelFor(domainSize, [&](size_t from, size_t to) {
    for (size_t i = from; i < to; i++) C[i] = A[i] * B[i];
  });
}

// The generator of the odd coset snarkjs evaluates on: w_(power+1), or 25 at power 28.
inline Fr cosetShift(unsigned power) {
  if (power < FR_TWO_ADICITY) return rootOfUnity(power + 1);
  Fr five = Fr::one().dbl().dbl() + Fr::one();
  return five.sqr();
}

// H's scalars (canonical) from A, B, C on the domain: each taken to the odd coset, then
// A·B - C there. Overwrites A with the result (as canonical limbs), B and C with scratch.
inline void computeH(std::vector<Fr>& A, std::vector<Fr>& B, std::vector<Fr>& C, unsigned power) {
  const size_t n = A.size();
  const Fr g = cosetShift(power);
  for (std::vector<Fr>* v : {&A, &B, &C}) {
    fft(v->data(), n, true);
    mulByPowers(v->data(), n, Fr::one(), g);
    fft(v->data(), n, false);
  }
  ThreadPool::get().parallelFor(n, [&](size_t from, size_t to) {
    for (size_t i = from; i < to; i++) A[i] = (A[i] * B[i] - C[i]).canonical();
  });
}

inline double msSince(std::chrono::steady_clock::time_point& t) {
  auto now = std::chrono::steady_clock::now();
  double ms = std::chrono::duration<double, std::milli>(now - t).count();
  t = now;
  return ms;
}

// A proof of the witness (a .wtns file's bytes) under the key at zkeyPath; rBytes and
// sBytes are 64 random bytes each (reduced mod r: the blinding factors).
inline Proof prove(const std::string& zkeyPath, const uint8_t* wtns, uint64_t wtnsSize,
                   const uint8_t* rBytes, const uint8_t* sBytes) {
  Proof out;
  auto t = std::chrono::steady_clock::now();
  ThreadPool& pool = ThreadPool::get();
  Witness w = parseWtns(wtns, wtnsSize);
  MappedFile file(zkeyPath);
  ZKey k = parseZKey(file.data(), file.size());
  if (w.count != k.nVars)
    throw ProveFailure("PROVE_WITNESS_MISMATCH", "the witness has " + std::to_string(w.count) +
                                                     " values and the key's circuit " + std::to_string(k.nVars));
  // Every point coordinate below q (this also reads the key in, once, on every core).
  struct Part { const uint8_t* p; unsigned coords; uint64_t n; const char* name; };
  const Part parts[] = {{k.pointsA, 2, k.nVars, "A"}, {k.pointsB1, 2, k.nVars, "B1"},
                        {k.pointsB2, 4, k.nVars, "B2"}, {k.pointsC, 2, uint64_t(k.nVars) - k.nPublic - 1, "C"},
                        {k.pointsH, 2, k.domainSize, "H"}};
  for (const Part& part : parts) {
    file.willNeed(part.p, part.n * part.coords * 32);
    std::atomic<bool> ok{true};
    pool.parallelFor(part.n, [&](size_t from, size_t to) {
      if (!coordinatesInField(part.p, part.coords, from, to)) ok = false;
    }, 1 << 12);
    if (!ok) throw ProveFailure("PROVE_BAD_KEY", std::string("the proving key's ") + part.name +
                                                     " points have a coordinate outside the field");
  }
  out.nPublic = k.nPublic;
  out.ms[READ] += msSince(t);

  std::vector<Fr> A, B, C;
  buildAbc(k.coefs, k.nCoefs, w.values, k.nVars, k.domainSize, A, B, C);
  out.ms[BUILD_ABC] += msSince(t);

  computeH(A, B, C, k.power);
  std::vector<Fr>().swap(B);
  std::vector<Fr>().swap(C);
  out.ms[FFT] += msSince(t);

  const uint8_t* h = reinterpret_cast<const uint8_t*>(A.data());
  G1 pA = msm<Fq>(k.pointsA, w.values, k.nVars);
  G1 pB1 = msm<Fq>(k.pointsB1, w.values, k.nVars);
  G1 pC = msm<Fq>(k.pointsC, w.values + 32 * (size_t(k.nPublic) + 1), size_t(k.nVars) - k.nPublic - 1);
  G1 pH = msm<Fq>(k.pointsH, h, k.domainSize);
  out.ms[MSM_G1] += msSince(t);
  G2 pB = msm<Fq2>(k.pointsB2, w.values, k.nVars);
  out.ms[MSM_G2] += msSince(t);

  const Fr r = Fr::fromWideBytes(rBytes), s = Fr::fromWideBytes(sBytes);
  const Fr rc = r.canonical(), sc = s.canonical(), rsNeg = (-(r * s)).canonical();
  const G1 delta1 = G1::fromAffine(k.delta1);
  pA = pA.addMixed(k.alpha1) + delta1.mul(rc.v);
  pB = pB.addMixed(k.beta2) + G2::fromAffine(k.delta2).mul(sc.v);
  pB1 = pB1.addMixed(k.beta1) + delta1.mul(sc.v);
  pC = pC + pH + pA.mul(sc.v) + pB1.mul(rc.v) + delta1.mul(rsNeg.v);
  out.a = pA.toAffine();
  out.b = pB.toAffine();
  out.c = pC.toAffine();
  out.ms[OTHER] += msSince(t);
  return out;
}

}  // namespace zk
