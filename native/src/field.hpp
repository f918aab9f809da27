// Prime fields of BN254 (the base field Fq and the scalar field Fr) on four 64-bit limbs,
// elements kept in Montgomery form (x·2^256 mod p), as ffjavascript and snarkjs's zkey
// files hold them. Multiplication is CIOS Montgomery with 128-bit products; both moduli
// are below 2^254, so the last carry of each round fits in the top limb (the "no-carry"
// variant) and a+b never overflows 256 bits.
//
// Invariant: every element's limbs hold a value below p. Readers of untrusted bytes
// check that (lessThanModulus) before they make an element of them.
#pragma once

#include <cstdint>
#include <cstring>
#include <x86intrin.h>

namespace zk {

using u64 = uint64_t;
using u128 = unsigned __int128;

struct FqParams {
  static constexpr u64 P[4] = {0x3c208c16d87cfd47ULL, 0x97816a916871ca8dULL,
                               0xb85045b68181585dULL, 0x30644e72e131a029ULL};
  static constexpr u64 R[4] = {0xd35d438dc58f0d9dULL, 0x0a78eb28f5c70b3dULL,
                               0x666ea36f7879462cULL, 0x0e0a77c19a07df2fULL};
  static constexpr u64 R2[4] = {0xf32cfc5b538afa89ULL, 0xb5e71911d44501fbULL,
                                0x47ab1eff0a417ff6ULL, 0x06d89f71cab8351fULL};
  static constexpr u64 R3[4] = {0xb1cd6dafda1530dfULL, 0x62f210e6a7283db6ULL,
                                0xef7f0b0c0ada0afbULL, 0x20fd6e902d592544ULL};
  static constexpr u64 INV = 0x87d20782e4866389ULL;  // -p^-1 mod 2^64
};

struct FrParams {
  static constexpr u64 P[4] = {0x43e1f593f0000001ULL, 0x2833e84879b97091ULL,
                               0xb85045b68181585dULL, 0x30644e72e131a029ULL};
  static constexpr u64 R[4] = {0xac96341c4ffffffbULL, 0x36fc76959f60cd29ULL,
                               0x666ea36f7879462eULL, 0x0e0a77c19a07df2fULL};
  static constexpr u64 R2[4] = {0x1bb8e645ae216da7ULL, 0x53fe3ab1e35c59e3ULL,
                                0x8c49833d53bb8085ULL, 0x0216d0b17f4e44a5ULL};
  static constexpr u64 R3[4] = {0x5e94d8e1b4bf0040ULL, 0x2a489cbe1cfbb6b8ULL,
                                0x893cc664a19fcfedULL, 0x0cf8594b7fcc657cULL};
  static constexpr u64 INV = 0xc2e1f593efffffffULL;
};

// a < b on 256-bit little-endian limbs.
inline bool lt256(const u64* a, const u64* b) {
  for (int i = 3; i >= 0; i--) {
    if (a[i] != b[i]) return a[i] < b[i];
  }
  return false;
}

template <class Params>
struct Fp {
  u64 v[4];

  static constexpr const u64* modulus() { return Params::P; }

  static Fp zero() { return Fp{{0, 0, 0, 0}}; }
  static Fp one() { return Fp{{Params::R[0], Params::R[1], Params::R[2], Params::R[3]}}; }

  // 32 little-endian bytes taken as they are (already Montgomery form); the caller has
  // checked them with lessThanModulus when they come from outside.
  static Fp fromMontBytes(const uint8_t* b) {
    Fp r;
    std::memcpy(r.v, b, 32);
    return r;
  }
  void toMontBytes(uint8_t* b) const { std::memcpy(b, v, 32); }

  // 32 little-endian bytes of a canonical integer below p.
  static Fp fromCanonicalBytes(const uint8_t* b) {
    Fp r;
    std::memcpy(r.v, b, 32);
    return r * Fp{{Params::R2[0], Params::R2[1], Params::R2[2], Params::R2[3]}};
  }
  void toCanonicalBytes(uint8_t* b) const {
    Fp r = canonical();
    std::memcpy(b, r.v, 32);
  }
  // The integer (not Montgomery form) this element stands for, as limbs.
  Fp canonical() const { return *this * Fp{{1, 0, 0, 0}}; }

  // Any 512-bit little-endian integer reduced modulo p (for uniform random elements).
  static Fp fromWideBytes(const uint8_t* b) {
    Fp lo, hi;
    std::memcpy(lo.v, b, 32);
    std::memcpy(hi.v, b + 32, 32);
    lo.reduceFully();
    hi.reduceFully();
    return lo * Fp{{Params::R2[0], Params::R2[1], Params::R2[2], Params::R2[3]}} +
           hi * Fp{{Params::R3[0], Params::R3[1], Params::R3[2], Params::R3[3]}};
  }

  static bool lessThanModulus(const uint8_t* b) {
    u64 x[4];
    std::memcpy(x, b, 32);
    return lt256(x, Params::P);
  }

  bool isZero() const { return (v[0] | v[1] | v[2] | v[3]) == 0; }
  bool operator==(const Fp& o) const {
    return v[0] == o.v[0] && v[1] == o.v[1] && v[2] == o.v[2] && v[3] == o.v[3];
  }
  bool operator!=(const Fp& o) const { return !(*this == o); }

  Fp operator+(const Fp& b) const {
    // a + b < 2p < 2^256 (p < 2^254): add, then subtract p unless that borrows.
    u64 s0, s1, s2, s3, t0, t1, t2, t3;
    unsigned char c = _addcarry_u64(0, v[0], b.v[0], (unsigned long long*)&s0);
    c = _addcarry_u64(c, v[1], b.v[1], (unsigned long long*)&s1);
    c = _addcarry_u64(c, v[2], b.v[2], (unsigned long long*)&s2);
    _addcarry_u64(c, v[3], b.v[3], (unsigned long long*)&s3);
    unsigned char br = _subborrow_u64(0, s0, Params::P[0], (unsigned long long*)&t0);
    br = _subborrow_u64(br, s1, Params::P[1], (unsigned long long*)&t1);
    br = _subborrow_u64(br, s2, Params::P[2], (unsigned long long*)&t2);
    br = _subborrow_u64(br, s3, Params::P[3], (unsigned long long*)&t3);
    const u64 keep = -u64(br);  // all ones: s < p, keep s
    return Fp{{(s0 & keep) | (t0 & ~keep), (s1 & keep) | (t1 & ~keep), (s2 & keep) | (t2 & ~keep),
               (s3 & keep) | (t3 & ~keep)}};
  }

  Fp operator-(const Fp& b) const {
    // a - b, plus p if that borrowed.
    u64 d0, d1, d2, d3;
    unsigned char br = _subborrow_u64(0, v[0], b.v[0], (unsigned long long*)&d0);
    br = _subborrow_u64(br, v[1], b.v[1], (unsigned long long*)&d1);
    br = _subborrow_u64(br, v[2], b.v[2], (unsigned long long*)&d2);
    br = _subborrow_u64(br, v[3], b.v[3], (unsigned long long*)&d3);
    const u64 m = -u64(br);
    unsigned char c = _addcarry_u64(0, d0, Params::P[0] & m, (unsigned long long*)&d0);
    c = _addcarry_u64(c, d1, Params::P[1] & m, (unsigned long long*)&d1);
    c = _addcarry_u64(c, d2, Params::P[2] & m, (unsigned long long*)&d2);
    _addcarry_u64(c, d3, Params::P[3] & m, (unsigned long long*)&d3);
    return Fp{{d0, d1, d2, d3}};
  }

  Fp operator-() const { return isZero() ? *this : Fp{{Params::P[0], Params::P[1], Params::P[2], Params::P[3]}} - *this; }
  Fp dbl() const { return *this + *this; }

  Fp operator*(const Fp& b) const {
    const u64* P = Params::P;
    u64 t[4] = {0, 0, 0, 0};
    for (int i = 0; i < 4; i++) {
      u128 x = (u128)v[0] * b.v[i] + t[0];
      u64 C = (u64)(x >> 64);
      u64 m = (u64)x * Params::INV;
      u128 y = (u128)m * P[0] + (u64)x;
      u64 C2 = (u64)(y >> 64);
      for (int j = 1; j < 4; j++) {
        x = (u128)v[j] * b.v[i] + t[j] + C;
        C = (u64)(x >> 64);
        y = (u128)m * P[j] + (u64)x + C2;
        C2 = (u64)(y >> 64);
        t[j - 1] = (u64)y;
      }
      t[3] = C + C2;
    }
    Fp r{{t[0], t[1], t[2], t[3]}};
    r.subPIfNeeded();
    return r;
  }
  Fp& operator*=(const Fp& b) { return *this = *this * b; }
  Fp& operator+=(const Fp& b) { return *this = *this + b; }
  Fp& operator-=(const Fp& b) { return *this = *this - b; }
  Fp sqr() const { return *this * *this; }

  // this^e for e given as canonical limbs.
  Fp pow(const u64* e, int nLimbs = 4) const {
    Fp r = one();
    for (int i = nLimbs * 64 - 1; i >= 0; i--) {
      r = r.sqr();
      if ((e[i / 64] >> (i % 64)) & 1) r = r * *this;
    }
    return r;
  }
  Fp pow(u64 e) const { return pow(&e, 1); }

  // Inverse by Fermat (x^(p-2)); the inverse of zero is zero.
  Fp inv() const {
    u64 e[4] = {Params::P[0] - 2, Params::P[1], Params::P[2], Params::P[3]};
    return pow(e);
  }

 private:
  void subPIfNeeded() {
    if (!lt256(v, Params::P)) {
      u64 borrow = 0;
      for (int i = 0; i < 4; i++) {
        u128 d = (u128)v[i] - Params::P[i] - borrow;
        v[i] = (u64)d;
        borrow = (u64)(d >> 64) & 1;
      }
    }
  }
  void reduceFully() {
    while (!lt256(v, Params::P)) subPIfNeeded();
  }
};

using Fq = Fp<FqParams>;
using Fr = Fp<FrParams>;

// Fq2 = Fq[u]/(u^2 + 1), as BN254's G2 coordinates; c0 + c1·u, laid out c0 then c1 (the
// zkey's order).
struct Fq2 {
  Fq c0, c1;

  static Fq2 zero() { return Fq2{Fq::zero(), Fq::zero()}; }
  static Fq2 one() { return Fq2{Fq::one(), Fq::zero()}; }
  bool isZero() const { return c0.isZero() && c1.isZero(); }
  bool operator==(const Fq2& o) const { return c0 == o.c0 && c1 == o.c1; }
  bool operator!=(const Fq2& o) const { return !(*this == o); }
  Fq2 operator+(const Fq2& b) const { return Fq2{c0 + b.c0, c1 + b.c1}; }
  Fq2 operator-(const Fq2& b) const { return Fq2{c0 - b.c0, c1 - b.c1}; }
  Fq2 operator-() const { return Fq2{-c0, -c1}; }
  Fq2 dbl() const { return Fq2{c0.dbl(), c1.dbl()}; }
  Fq2 operator*(const Fq2& b) const {
    Fq t0 = c0 * b.c0, t1 = c1 * b.c1;
    return Fq2{t0 - t1, (c0 + c1) * (b.c0 + b.c1) - t0 - t1};
  }
  Fq2 sqr() const {
    Fq t = c0 * c1;
    return Fq2{(c0 + c1) * (c0 - c1), t.dbl()};
  }
  Fq2 inv() const {
    Fq n = (c0.sqr() + c1.sqr()).inv();
    return Fq2{c0 * n, -(c1 * n)};
  }
};

}  // namespace zk
