// circom's field ABI (the functions its generated C++ witness code calls, which circom
// implements in x86 assembly for nasm, not on these machines) over zkclear's own Fr
// arithmetic (native/src/field.hpp). Compiled with a circuit's generated fr.hpp, so the
// element layout is circom's: a 32-bit short value, a type word (bit 31: long, bit 30:
// Montgomery form) and four 64-bit limbs.
//
// Semantics follow circom's language: arithmetic modulo r; comparisons on the signed
// reading (values above (r-1)/2 are negative); bitwise operations on the canonical
// integer, masked to 254 bits and reduced; shifts by a negative amount shift the other
// way, by 254 or more give 0; integer conversions fail unless the value fits in 32 bits.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "field.hpp"
#include "fr.hpp"

using zk::Fr;
using zk::FrParams;
using zk::u64;

FrElement Fr_q = {0, Fr_LONG, {FrParams::P[0], FrParams::P[1], FrParams::P[2], FrParams::P[3]}};
FrElement Fr_R3 = {0, Fr_LONG, {FrParams::R3[0], FrParams::R3[1], FrParams::R3[2], FrParams::R3[3]}};
FrRawElement Fr_rawq = {FrParams::P[0], FrParams::P[1], FrParams::P[2], FrParams::P[3]};
FrRawElement Fr_rawR3 = {FrParams::R3[0], FrParams::R3[1], FrParams::R3[2], FrParams::R3[3]};

namespace {

constexpr uint32_t MONT = 0x40000000;
constexpr u64 TOP_MASK = 0x3fffffffffffffffULL;  // 254 bits

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "zkclear witness: %s\n", what);
  std::fflush(stdout);
  std::abort();
}

// A small integer held in shortVal (circom's index arithmetic stays in these).
inline bool isShort(const FrElement* e) { return (e->type & (Fr_LONG | MONT)) == 0; }

// r = x when x fits a short; false otherwise.
inline bool shortResult(FrElement* r, int64_t x) {
  if (x < INT32_MIN || x > INT32_MAX) return false;
  r->shortVal = int32_t(x);
  r->type = Fr_SHORT;
  return true;
}

Fr raw(const u64* v) {
  Fr r;
  std::memcpy(r.v, v, 32);
  return r;
}

Fr fromSmall(int64_t s) {
  Fr r = Fr::zero();
  u64 m = s < 0 ? u64(-s) : u64(s);
  r.v[0] = m;
  r = r * Fr{{FrParams::R2[0], FrParams::R2[1], FrParams::R2[2], FrParams::R2[3]}};
  return s < 0 ? -r : r;
}

// Any element as a field element in Montgomery form.
Fr decode(const FrElement* e) {
  if (e->type & Fr_LONG) {
    Fr x = raw(e->longVal);
    if (!zk::lt256(x.v, FrParams::P)) fail("a long element at or above the modulus");
    if (e->type & MONT) return x;
    return x * Fr{{FrParams::R2[0], FrParams::R2[1], FrParams::R2[2], FrParams::R2[3]}};
  }
  if (e->type & MONT) return raw(e->longVal);
  return fromSmall(e->shortVal);
}

void encode(FrElement* r, const Fr& x) {
  r->shortVal = 0;
  r->type = Fr_LONGMONTGOMERY;
  std::memcpy(r->longVal, x.v, 32);
}

void encodeBool(FrElement* r, bool b) {
  r->shortVal = b ? 1 : 0;
  r->type = Fr_SHORT;
  std::memset(r->longVal, 0, 32);
}

void encodeCanonical(FrElement* r, const u64* c) {
  Fr x = raw(c);
  encode(r, x * Fr{{FrParams::R2[0], FrParams::R2[1], FrParams::R2[2], FrParams::R2[3]}});
}

// (r-1)/2: above it a value reads as negative.
const u64 HALF[4] = {0xa1f0fac9f8000000ULL, 0x9419f4243cdcb848ULL, 0xdc2822db40c0ac2eULL,
                     0x183227397098d014ULL};

bool isNegative(const Fr& canonical) { return zk::lt256(HALF, canonical.v); }

// The signed comparison a < b (circom's <).
bool signedLess(const FrElement* pa, const FrElement* pb) {
  if (isShort(pa) && isShort(pb)) return pa->shortVal < pb->shortVal;
  Fr a = decode(pa).canonical(), b = decode(pb).canonical();
  bool na = isNegative(a), nb = isNegative(b);
  if (na != nb) return na;
  return zk::lt256(a.v, b.v);  // same sign: the canonical order is the signed order
}

bool equal(const FrElement* a, const FrElement* b) {
  if (isShort(a) && isShort(b)) return a->shortVal == b->shortVal;
  return decode(a) == decode(b);
}

// Masked to 254 bits, then reduced once (the result is below 2^254 < 2r).
void reduceMasked(u64* c) {
  c[3] &= TOP_MASK;
  if (!zk::lt256(c, FrParams::P)) {
    u64 borrow = 0;
    for (int i = 0; i < 4; i++) {
      unsigned __int128 d = (unsigned __int128)c[i] - FrParams::P[i] - borrow;
      c[i] = (u64)d;
      borrow = u64(d >> 64) & 1;
    }
  }
}

void shiftRight(u64* c, unsigned n) {
  const unsigned limbs = n / 64, bits = n % 64;
  for (unsigned i = 0; i < 4; i++) {
    u64 lo = i + limbs < 4 ? c[i + limbs] : 0;
    u64 hi = i + limbs + 1 < 4 ? c[i + limbs + 1] : 0;
    c[i] = bits ? (lo >> bits) | (hi << (64 - bits)) : lo;
  }
}

void shiftLeft(u64* c, unsigned n) {
  const unsigned limbs = n / 64, bits = n % 64;
  for (int i = 3; i >= 0; i--) {
    u64 hi = i - int(limbs) >= 0 ? c[i - limbs] : 0;
    u64 lo = i - int(limbs) - 1 >= 0 ? c[i - limbs - 1] : 0;
    c[i] = bits ? (hi << bits) | (lo >> (64 - bits)) : hi;
  }
}

// The shift amount b read as a signed integer, clamped: |b| >= 254 gives 254.
long shiftAmount(const FrElement* pb) {
  Fr b = decode(pb).canonical();
  if (isNegative(b)) {
    Fr m = (-decode(pb)).canonical();
    return (m.v[1] | m.v[2] | m.v[3]) || m.v[0] >= 254 ? -254 : -long(m.v[0]);
  }
  return (b.v[1] | b.v[2] | b.v[3]) || b.v[0] >= 254 ? 254 : long(b.v[0]);
}

void shift(FrElement* r, const FrElement* pa, long n) {
  Fr a = decode(pa).canonical();
  if (n >= 254 || n <= -254) {
    encode(r, Fr::zero());
    return;
  }
  if (n >= 0) shiftRight(a.v, unsigned(n));
  else {
    shiftLeft(a.v, unsigned(-n));
    reduceMasked(a.v);
  }
  encodeCanonical(r, a.v);
}

template <class Op>
void bitwise(FrElement* r, const FrElement* pa, const FrElement* pb, Op op) {
  Fr a = decode(pa).canonical(), b = decode(pb).canonical();
  u64 c[4];
  for (int i = 0; i < 4; i++) c[i] = op(a.v[i], b.v[i]);
  reduceMasked(c);
  encodeCanonical(r, c);
}

}  // namespace

extern "C" {

// Makes an element that holds a small integer a short one (what circom's own constants
// are not always), so that index arithmetic on it stays on the short fast paths.
void zkclear_shorten(PFrElement e) {
  if (isShort(e)) return;
  Fr c = decode(e).canonical();
  if (!(c.v[1] | c.v[2] | c.v[3]) && c.v[0] <= INT32_MAX) {
    shortResult(e, int64_t(c.v[0]));
    return;
  }
  Fr m = (-decode(e)).canonical();
  if (!(m.v[1] | m.v[2] | m.v[3]) && m.v[0] <= INT32_MAX) shortResult(e, -int64_t(m.v[0]));
}

void Fr_copy(PFrElement r, PFrElement a) { *r = *a; }
void Fr_copyn(PFrElement r, PFrElement a, int n) { std::memmove(r, a, size_t(n) * sizeof(FrElement)); }
void Fr_add(PFrElement r, PFrElement a, PFrElement b) {
  if (isShort(a) && isShort(b) && shortResult(r, int64_t(a->shortVal) + b->shortVal)) return;
  encode(r, decode(a) + decode(b));
}
void Fr_sub(PFrElement r, PFrElement a, PFrElement b) {
  if (isShort(a) && isShort(b) && shortResult(r, int64_t(a->shortVal) - b->shortVal)) return;
  encode(r, decode(a) - decode(b));
}
void Fr_neg(PFrElement r, PFrElement a) {
  if (isShort(a) && shortResult(r, -int64_t(a->shortVal))) return;
  encode(r, -decode(a));
}
void Fr_mul(PFrElement r, PFrElement a, PFrElement b) {
  if (isShort(a) && isShort(b) && shortResult(r, int64_t(a->shortVal) * b->shortVal)) return;
  encode(r, decode(a) * decode(b));
}
void Fr_square(PFrElement r, PFrElement a) { encode(r, decode(a).sqr()); }
void Fr_band(PFrElement r, PFrElement a, PFrElement b) { bitwise(r, a, b, [](u64 x, u64 y) { return x & y; }); }
void Fr_bor(PFrElement r, PFrElement a, PFrElement b) { bitwise(r, a, b, [](u64 x, u64 y) { return x | y; }); }
void Fr_bxor(PFrElement r, PFrElement a, PFrElement b) { bitwise(r, a, b, [](u64 x, u64 y) { return x ^ y; }); }
void Fr_bnot(PFrElement r, PFrElement a) {
  Fr x = decode(a).canonical();
  u64 c[4] = {~x.v[0], ~x.v[1], ~x.v[2], ~x.v[3]};
  reduceMasked(c);
  encodeCanonical(r, c);
}
void Fr_shr(PFrElement r, PFrElement a, PFrElement b) { shift(r, a, shiftAmount(b)); }
void Fr_shl(PFrElement r, PFrElement a, PFrElement b) { shift(r, a, -shiftAmount(b)); }
void Fr_eq(PFrElement r, PFrElement a, PFrElement b) { encodeBool(r, equal(a, b)); }
void Fr_neq(PFrElement r, PFrElement a, PFrElement b) { encodeBool(r, !equal(a, b)); }
void Fr_lt(PFrElement r, PFrElement a, PFrElement b) { encodeBool(r, signedLess(a, b)); }
void Fr_gt(PFrElement r, PFrElement a, PFrElement b) { encodeBool(r, signedLess(b, a)); }
void Fr_leq(PFrElement r, PFrElement a, PFrElement b) { encodeBool(r, !signedLess(b, a)); }
void Fr_geq(PFrElement r, PFrElement a, PFrElement b) { encodeBool(r, !signedLess(a, b)); }
void Fr_land(PFrElement r, PFrElement a, PFrElement b) { encodeBool(r, !decode(a).isZero() && !decode(b).isZero()); }
void Fr_lor(PFrElement r, PFrElement a, PFrElement b) { encodeBool(r, !decode(a).isZero() || !decode(b).isZero()); }
void Fr_lnot(PFrElement r, PFrElement a) { encodeBool(r, decode(a).isZero()); }

void Fr_toNormal(PFrElement r, PFrElement a) {
  if ((a->type & Fr_LONG) && (a->type & MONT)) {
    Fr c = raw(a->longVal).canonical();
    r->shortVal = 0;
    r->type = Fr_LONG;
    std::memcpy(r->longVal, c.v, 32);
  } else {
    *r = *a;
  }
}
void Fr_toLongNormal(PFrElement r, PFrElement a) {
  Fr c = decode(a).canonical();
  r->shortVal = 0;
  r->type = Fr_LONG;
  std::memcpy(r->longVal, c.v, 32);
}
void Fr_toMontgomery(PFrElement r, PFrElement a) { encode(r, decode(a)); }

int Fr_isTrue(PFrElement e) { return isShort(e) ? e->shortVal != 0 : !decode(e).isZero(); }
int Fr_toInt(PFrElement e) {
  if (!(e->type & Fr_LONG) && !(e->type & MONT)) return e->shortVal;
  Fr c = decode(e).canonical();
  if (!(c.v[1] | c.v[2] | c.v[3]) && c.v[0] < 0x80000000ULL) return int(c.v[0]);
  Fr m = (-decode(e)).canonical();
  if (!(m.v[1] | m.v[2] | m.v[3]) && m.v[0] <= 0x80000000ULL) return -int64_t(m.v[0]);
  fail("a value used as an integer (an index or a size) does not fit in 32 bits");
}

void Fr_rawCopy(FrRawElement r, const FrRawElement a) { std::memcpy(r, a, 32); }
void Fr_rawSwap(FrRawElement r, FrRawElement a) {
  FrRawElement t;
  std::memcpy(t, r, 32);
  std::memcpy(r, a, 32);
  std::memcpy(a, t, 32);
}
void Fr_rawAdd(FrRawElement r, const FrRawElement a, const FrRawElement b) {
  Fr x = raw(a) + raw(b);
  std::memcpy(r, x.v, 32);
}
void Fr_rawSub(FrRawElement r, const FrRawElement a, const FrRawElement b) {
  Fr x = raw(a) - raw(b);
  std::memcpy(r, x.v, 32);
}
void Fr_rawNeg(FrRawElement r, const FrRawElement a) {
  Fr x = -raw(a);
  std::memcpy(r, x.v, 32);
}
void Fr_rawMMul(FrRawElement r, const FrRawElement a, const FrRawElement b) {
  Fr x = raw(a) * raw(b);
  std::memcpy(r, x.v, 32);
}
void Fr_rawMSquare(FrRawElement r, const FrRawElement a) {
  Fr x = raw(a).sqr();
  std::memcpy(r, x.v, 32);
}
void Fr_rawMMul1(FrRawElement r, const FrRawElement a, uint64_t b) {
  Fr x = raw(a) * Fr{{b, 0, 0, 0}};
  std::memcpy(r, x.v, 32);
}
void Fr_rawToMontgomery(FrRawElement r, const FrRawElement& a) {
  Fr x = raw(a) * Fr{{FrParams::R2[0], FrParams::R2[1], FrParams::R2[2], FrParams::R2[3]}};
  std::memcpy(r, x.v, 32);
}
void Fr_rawFromMontgomery(FrRawElement r, const FrRawElement& a) {
  Fr x = raw(a).canonical();
  std::memcpy(r, x.v, 32);
}
int Fr_rawIsEq(const FrRawElement a, const FrRawElement b) { return std::memcmp(a, b, 32) == 0; }
int Fr_rawIsZero(const FrRawElement a) { return (a[0] | a[1] | a[2] | a[3]) == 0; }

}  // extern "C"
