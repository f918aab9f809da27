// BN254's groups G1 (over Fq) and G2 (over Fq2), both y^2 = x^3 + b with a = 0, in
// Jacobian coordinates (x = X/Z^2, y = Y/Z^3; Z = 0 is the point at infinity). Affine
// points are as the zkey stores them: x then y, each in Montgomery form, (0, 0) standing
// for the point at infinity.
#pragma once

#include "field.hpp"

namespace zk {

template <class F>
struct Affine {
  F x, y;
  bool isInfinity() const { return x.isZero() && y.isZero(); }
  static Affine infinity() { return Affine{F::zero(), F::zero()}; }
  Affine operator-() const { return isInfinity() ? *this : Affine{x, -y}; }
};

template <class F>
struct Jacobian {
  F X, Y, Z;

  static Jacobian infinity() { return Jacobian{F::one(), F::one(), F::zero()}; }
  static Jacobian fromAffine(const Affine<F>& a) {
    return a.isInfinity() ? infinity() : Jacobian{a.x, a.y, F::one()};
  }
  bool isInfinity() const { return Z.isZero(); }
  Jacobian operator-() const { return Jacobian{X, -Y, Z}; }

  // dbl-2009-l
  Jacobian dbl() const {
    if (isInfinity()) return *this;
    F A = X.sqr(), B = Y.sqr(), C = B.sqr();
    F D = ((X + B).sqr() - A - C).dbl();
    F E = A.dbl() + A;
    F Fv = E.sqr();
    Jacobian r;
    r.X = Fv - D.dbl();
    F C8 = C.dbl().dbl().dbl();
    r.Y = E * (D - r.X) - C8;
    r.Z = (Y * Z).dbl();
    return r;
  }

  // madd-2007-bl: this + q with q affine.
  Jacobian addMixed(const Affine<F>& q) const {
    if (q.isInfinity()) return *this;
    if (isInfinity()) return Jacobian{q.x, q.y, F::one()};
    F Z1Z1 = Z.sqr();
    F U2 = q.x * Z1Z1;
    F S2 = q.y * Z * Z1Z1;
    F H = U2 - X;
    F rr = (S2 - Y).dbl();
    if (H.isZero()) {
      if (rr.isZero()) return dbl();
      return infinity();
    }
    F HH = H.sqr();
    F I = HH.dbl().dbl();
    F J = H * I;
    F V = X * I;
    Jacobian r;
    r.X = rr.sqr() - J - V.dbl();
    r.Y = rr * (V - r.X) - (Y * J).dbl();
    r.Z = (Z + H).sqr() - Z1Z1 - HH;
    return r;
  }

  // add-2007-bl
  Jacobian operator+(const Jacobian& q) const {
    if (isInfinity()) return q;
    if (q.isInfinity()) return *this;
    F Z1Z1 = Z.sqr(), Z2Z2 = q.Z.sqr();
    F U1 = X * Z2Z2, U2 = q.X * Z1Z1;
    F S1 = Y * q.Z * Z2Z2, S2 = q.Y * Z * Z1Z1;
    F H = U2 - U1;
    F rr = (S2 - S1).dbl();
    if (H.isZero()) {
      if (rr.isZero()) return dbl();
      return infinity();
    }
    F I = H.dbl().sqr();
    F J = H * I;
    F V = U1 * I;
    Jacobian r;
    r.X = rr.sqr() - J - V.dbl();
    r.Y = rr * (V - r.X) - (S1 * J).dbl();
    r.Z = ((Z + q.Z).sqr() - Z1Z1 - Z2Z2) * H;
    return r;
  }
  Jacobian& operator+=(const Jacobian& q) { return *this = *this + q; }

  Affine<F> toAffine() const {
    if (isInfinity()) return Affine<F>::infinity();
    F zi = Z.inv();
    F zi2 = zi.sqr();
    return Affine<F>{X * zi2, Y * zi2 * zi};
  }

  // this · k, k a canonical scalar (four limbs), by double-and-add.
  Jacobian mul(const u64* k) const {
    Jacobian r = infinity();
    for (int i = 255; i >= 0; i--) {
      r = r.dbl();
      if ((k[i / 64] >> (i % 64)) & 1) r += *this;
    }
    return r;
  }
};

using G1Affine = Affine<Fq>;
using G2Affine = Affine<Fq2>;
using G1 = Jacobian<Fq>;
using G2 = Jacobian<Fq2>;

// Loads a zkey point: 2·32 (G1) or 4·32 (G2) bytes, Montgomery little-endian.
inline G1Affine loadG1(const uint8_t* p) {
  G1Affine a;
  std::memcpy(&a, p, sizeof a);
  return a;
}
inline G2Affine loadG2(const uint8_t* p) {
  G2Affine a;
  std::memcpy(&a, p, sizeof a);
  return a;
}
static_assert(sizeof(G1Affine) == 64, "G1 affine layout");
static_assert(sizeof(G2Affine) == 128, "G2 affine layout");

}  // namespace zk
