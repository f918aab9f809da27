// EdDSA-Poseidon signature checks on Baby Jubjub, the native twin of
// prover/src/domain/babyjub.ts verifyEdDSAPoseidon (and of circomlib's
// EdDSAPoseidonVerifier): S·B8 = R8 + 8·h·A with h = Poseidon(R8x, R8y, Ax, Ay, M), S below
// the subgroup order, R8 and A on the curve, A not of small order (8·A ≠ O).
//
// Baby Jubjub is the twisted Edwards curve a·x² + y² = 1 + d·x²·y² (a = 168700,
// d = 168696) over BN254's scalar field Fr. Points are projective (X : Y : Z); the unified
// addition of Bernstein–Birkner–Joye–Lange–Peters 2008 is complete on this curve (a is a
// square, d is not), as is its doubling. S·B8 uses a fixed-base table (64 windows of 4 bits,
// built once); h·(8·A) a 4-bit window from the top (256 doublings), or for a key that signed
// signed validly before, the key's own fixed-base table (KeyTables). A verdict never depends on the path.
//
// Poseidon (circomlib's, the same rounds as poseidon-lite) takes its round constants and
// MDS matrix from the caller once (the addon's JavaScript loader reads them from
// poseidon-lite): nothing here restates them.
#pragma once

#include <cstdint>
#include <cstring>
#include <list>
#include <utility>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "field.hpp"

namespace zk {
namespace eddsa {

struct PoseidonParams {
  int t = 0;
  int roundsF = 8;
  int roundsP = 0;
  std::vector<Fr> C;  // (roundsF + roundsP)·t round constants
  std::vector<Fr> M;  // t×t MDS matrix, row-major
};

inline Fr pow5(const Fr& x) {
  Fr x2 = x.sqr();
  return x2.sqr() * x;
}

// Σ a[i]·b[i] (n ≤ 8 terms of elements in Montgomery form) with one Montgomery reduction:
// the 512-bit products are summed first (below 8·p² < 2^511), then reduced once (REDC of a
// value below 8·p² gives less than 8·p²/2^256 + p < 3·p, so at most two subtractions of p).
inline Fr dot(const Fr* a, const Fr* b, int n) {
  u64 T[9] = {0, 0, 0, 0, 0, 0, 0, 0, 0};
  for (int k = 0; k < n; k++) {
    u64 prod[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    for (int i = 0; i < 4; i++) {
      u64 carry = 0;
      for (int j = 0; j < 4; j++) {
        u128 x = (u128)a[k].v[i] * b[k].v[j] + prod[i + j] + carry;
        prod[i + j] = (u64)x;
        carry = (u64)(x >> 64);
      }
      prod[i + 4] = carry;
    }
    unsigned char c = 0;
    for (int i = 0; i < 8; i++) c = _addcarry_u64(c, T[i], prod[i], (unsigned long long*)&T[i]);
    T[8] += c;
  }
  const u64* P = FrParams::P;
  for (int i = 0; i < 4; i++) {
    u64 m = T[i] * FrParams::INV;
    u64 carry = 0;
    for (int j = 0; j < 4; j++) {
      u128 x = (u128)m * P[j] + T[i + j] + carry;
      T[i + j] = (u64)x;
      carry = (u64)(x >> 64);
    }
    for (int j = i + 4; j < 9 && carry; j++) {
      u128 x = (u128)T[j] + carry;
      T[j] = (u64)x;
      carry = (u64)(x >> 64);
    }
  }
  Fr r{{T[4], T[5], T[6], T[7]}};
  // T[8] is 0 here: the result is below 3·p < 2^256
  for (int k = 0; k < 2; k++)
    if (!lt256(r.v, P)) r = r - Fr{{P[0], P[1], P[2], P[3]}};
  return r;
}

// Poseidon(in[0..t-2]) with the state [0, in...], as poseidon-lite computes it.
inline Fr poseidon(const PoseidonParams& p, const Fr* in) {
  const int t = p.t;
  Fr s[8], o[8];
  s[0] = Fr::zero();
  for (int i = 1; i < t; i++) s[i] = in[i - 1];
  const int half = p.roundsF / 2, total = p.roundsF + p.roundsP;
  for (int r = 0; r < total; r++) {
    const bool full = r < half || r >= half + p.roundsP;
    for (int y = 0; y < t; y++) {
      s[y] += p.C[r * t + y];
      if (full || y == 0) s[y] = pow5(s[y]);
    }
    for (int x = 0; x < t; x++) o[x] = dot(&p.M[x * t], s, t);
    for (int x = 0; x < t; x++) s[x] = o[x];
  }
  return s[0];
}

inline Fr small(u64 v) {
  uint8_t b[32] = {0};
  std::memcpy(b, &v, 8);
  return Fr::fromCanonicalBytes(b);
}

struct Point {
  Fr x, y, z;
};

// table[i][j] = j·16^i·P: k·P in 64 additions, no doubling (a fixed-base table)
struct Table {
  Point t[64][16];
};

struct Curve {
  Fr a, d;
  Point base8;
  Table base;  // B8's
};

inline Point identity() { return Point{Fr::zero(), Fr::one(), Fr::one()}; }

inline Point add(const Curve& c, const Point& p, const Point& q) {
  Fr A = p.z * q.z;
  Fr B = A.sqr();
  Fr C = p.x * q.x;
  Fr D = p.y * q.y;
  Fr E = c.d * (C * D);
  Fr F = B - E;
  Fr G = B + E;
  Fr x3 = A * (F * ((p.x + p.y) * (q.x + q.y) - C - D));
  Fr y3 = A * (G * (D - c.a * C));
  return Point{x3, y3, F * G};
}

inline Point dbl(const Curve& c, const Point& p) {
  Fr B = (p.x + p.y).sqr();
  Fr C = p.x.sqr();
  Fr D = p.y.sqr();
  Fr E = c.a * C;
  Fr F = E + D;
  Fr H = p.z.sqr();
  Fr J = F - H.dbl();
  return Point{(B - C - D) * J, F * (E - D), F * J};
}

inline bool equal(const Point& p, const Point& q) {
  return p.x * q.z == q.x * p.z && p.y * q.z == q.y * p.z;
}

// a·x² + y² = 1 + d·x²·y² for an affine point.
inline bool onCurve(const Curve& c, const Fr& x, const Fr& y) {
  Fr x2 = x.sqr(), y2 = y.sqr();
  return c.a * x2 + y2 == Fr::one() + c.d * x2 * y2;
}

// 4-bit nibble i of a 256-bit little-endian integer.
inline unsigned nibble(const u64* k, int i) { return unsigned(k[i / 16] >> ((i % 16) * 4)) & 15; }

inline void buildTable(const Curve& c, const Point& p, Table& out) {
  Point row = p;  // 16^i·P
  for (int i = 0; i < 64; i++) {
    out.t[i][0] = identity();
    out.t[i][1] = row;
    for (int j = 2; j < 16; j++) out.t[i][j] = (j % 2 == 0) ? dbl(c, out.t[i][j / 2]) : add(c, out.t[i][j - 1], row);
    for (int b = 0; b < 4; b++) row = dbl(c, row);
  }
}

// k·P from P's fixed-base table.
inline Point mulTable(const Curve& c, const Table& t, const u64* k) {
  Point acc = identity();
  for (int i = 0; i < 64; i++) {
    unsigned w = nibble(k, i);
    if (w) acc = add(c, acc, t.t[i][w]);
  }
  return acc;
}

// The fixed-base tables of keys that sign again and again (an exchange's traders sign many
// orders each): a key gets its table after its second valid signature, and then needs 64
// additions instead of 256 doublings. Only valid signatures count, so a flood of forged
// signatures under other people's keys builds no table. Bounded: past KEY_TABLES keys the
// least recently used table goes (one at a time); the count of valid signatures per key is
// kept for at most SEEN keys (then it starts over: a key then waits one more signature).
class KeyTables {
 public:
  static constexpr size_t KEY_TABLES = 512;
  static constexpr size_t SEEN = 4 * KEY_TABLES;

  // The table of the key whose coordinates are the 64 bytes at `key`, or null (none yet).
  std::shared_ptr<const Table> get(const uint8_t* key) {
    std::string k(reinterpret_cast<const char*>(key), 64);
    std::lock_guard<std::mutex> lock(m_);
    auto it = tables_.find(k);
    if (it == tables_.end()) return nullptr;
    lru_.splice(lru_.begin(), lru_, it->second.second);  // most recently used first
    return it->second.first;
  }

  // A signature under the key (8·A = a8) was valid: on the key's second one, its table is built.
  void valid(const Curve& c, const uint8_t* key, const Point& a8) {
    std::string k(reinterpret_cast<const char*>(key), 64);
    {
      std::lock_guard<std::mutex> lock(m_);
      if (tables_.count(k)) return;
      if (++seen_[k] < 2) {
        if (seen_.size() > SEEN) seen_.clear();
        return;
      }
      seen_.erase(k);
    }
    auto t = std::make_shared<Table>();
    buildTable(c, a8, *t);
    std::lock_guard<std::mutex> lock(m_);
    if (tables_.count(k)) return;  // another thread built it meanwhile
    built_++;
    if (tables_.size() >= KEY_TABLES) {
      tables_.erase(lru_.back());
      lru_.pop_back();
    }
    lru_.push_front(k);
    tables_[k] = {t, lru_.begin()};
  }

  // Tables built since the start, and tables held now (for tests and metrics).
  std::pair<uint64_t, size_t> stats() {
    std::lock_guard<std::mutex> lock(m_);
    return {built_, tables_.size()};
  }

 private:
  std::mutex m_;
  std::unordered_map<std::string, int> seen_;
  std::list<std::string> lru_;  // keys with a table, most recently used first
  std::unordered_map<std::string, std::pair<std::shared_ptr<const Table>, std::list<std::string>::iterator>> tables_;
  uint64_t built_ = 0;
};

// k·p with a 4-bit window, from the top.
inline Point mul(const Curve& c, const Point& p, const u64* k) {
  Point t[16];
  t[0] = identity();
  t[1] = p;
  for (int j = 2; j < 16; j++) t[j] = (j % 2 == 0) ? dbl(c, t[j / 2]) : add(c, t[j - 1], p);
  Point acc = identity();
  for (int i = 63; i >= 0; i--) {
    if (i != 63)
      for (int b = 0; b < 4; b++) acc = dbl(c, acc);
    unsigned w = nibble(k, i);
    if (w) acc = add(c, acc, t[w]);
  }
  return acc;
}

// Baby Jubjub's subgroup order l (canonical limbs).
constexpr u64 SUB_ORDER[4] = {0x677297dc392126f1ULL, 0xab3eedb83920ee0aULL, 0x370a08b6d0302b0bULL,
                              0x060c89ce5c263405ULL};

struct Verifier {
  Curve curve;
  PoseidonParams p2;  // t = 3: the order's signed message, Poseidon(domain, message)
  PoseidonParams p5;  // t = 6: the challenge h
  bool ready = false;
  mutable KeyTables keys;

  void initCurve(const Fr& b8x, const Fr& b8y) {
    curve.a = small(168700);
    curve.d = small(168696);
    curve.base8 = Point{b8x, b8y, Fr::one()};
    buildTable(curve, curve.base8, curve.base);
  }

  // One item: 7 canonical 32-byte big-endian elements Ax, Ay, R8x, R8y, S, m0, m1 (what
  // JavaScript writes fastest, from hex). The signed message M is m0, or Poseidon(m0, m1)
  // when `hashMessage`.
  bool verify(const uint8_t* be, bool hashMessage) const {
    uint8_t item[7 * 32];
    for (int i = 0; i < 7; i++)
      for (int b = 0; b < 32; b++) item[32 * i + b] = be[32 * i + 31 - b];
    for (int i = 0; i < 7; i++)
      if (i != 4 && !Fr::lessThanModulus(item + 32 * i)) return false;
    u64 s[4];
    std::memcpy(s, item + 128, 32);
    if (!lt256(s, SUB_ORDER)) return false;
    Fr ax = Fr::fromCanonicalBytes(item), ay = Fr::fromCanonicalBytes(item + 32);
    Fr rx = Fr::fromCanonicalBytes(item + 64), ry = Fr::fromCanonicalBytes(item + 96);
    if (!onCurve(curve, rx, ry) || !onCurve(curve, ax, ay)) return false;
    Point key{ax, ay, Fr::one()};
    Point a4 = dbl(curve, dbl(curve, key));
    // 4·A is O = (0, 1) or the point (0, -1) of order 2 exactly when its x is 0
    if (a4.x.isZero()) return false;
    Point a8 = dbl(curve, a4);
    Fr m = Fr::fromCanonicalBytes(item + 160);
    if (hashMessage) {
      Fr in2[2] = {m, Fr::fromCanonicalBytes(item + 192)};
      m = poseidon(p2, in2);
    }
    Fr in5[5] = {rx, ry, ax, ay, m};
    Fr h = poseidon(p5, in5).canonical();
    auto table = keys.get(item);
    Point ha8 = table ? mulTable(curve, *table, h.v) : mul(curve, a8, h.v);
    Point left = mulTable(curve, curve.base, s);
    Point right = add(curve, Point{rx, ry, Fr::one()}, ha8);
    if (!equal(left, right)) return false;
    if (!table) keys.valid(curve, item, a8);
    return true;
  }
};

inline Verifier& verifier() {
  static Verifier v;
  return v;
}

}  // namespace eddsa
}  // namespace zk
