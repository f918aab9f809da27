// The Node-API face of the native prover.
//   prove(zkeyPath, wtns, r64, s64) -> Promise<{ a, b, c, ms }>: a proof off the main
//     thread; a/b/c are affine points in canonical little-endian bytes (null: infinity),
//     ms the time of each stage. Refusals reject with an Error whose `code` is a
//     PROVE_* code.
//   threads() -> the size of the thread pool.
//   stages: the prover's steps one by one, for tests that compare them with ffjavascript.
//   eddsaInit(...) once, then eddsaVerify(items, hashMessage) -> Promise<Uint8Array>:
//     EdDSA-Poseidon signature checks in batches off the main thread (eddsa.hpp).
//   eddsaTables() -> { built, held }: the verifier's per-key tables (eddsa.hpp KeyTables).
#include <napi.h>

#include <cstring>
#include <new>
#include <string>
#include <vector>

#include "eddsa.hpp"
#include "prover.hpp"

namespace {

using namespace zk;

Napi::Error errorWithCode(Napi::Env env, const std::string& code, const std::string& msg) {
  Napi::Error e = Napi::Error::New(env, msg);
  e.Set("code", Napi::String::New(env, code));
  return e;
}

Napi::Buffer<uint8_t> bytes(Napi::Env env, const void* p, size_t n) {
  return Napi::Buffer<uint8_t>::Copy(env, static_cast<const uint8_t*>(p), n);
}

Napi::Value canonicalG1(Napi::Env env, const G1Affine& a) {
  if (a.isInfinity()) return env.Null();
  uint8_t out[64];
  a.x.toCanonicalBytes(out);
  a.y.toCanonicalBytes(out + 32);
  return bytes(env, out, 64);
}

Napi::Value canonicalG2(Napi::Env env, const G2Affine& a) {
  if (a.isInfinity()) return env.Null();
  uint8_t out[128];
  a.x.c0.toCanonicalBytes(out);
  a.x.c1.toCanonicalBytes(out + 32);
  a.y.c0.toCanonicalBytes(out + 64);
  a.y.c1.toCanonicalBytes(out + 96);
  return bytes(env, out, 128);
}

class ProveWorker : public Napi::AsyncWorker {
 public:
  ProveWorker(Napi::Env env, std::string zkey, std::vector<uint8_t> wtns, std::vector<uint8_t> r,
              std::vector<uint8_t> s)
      : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)), zkey_(std::move(zkey)),
        wtns_(std::move(wtns)), r_(std::move(r)), s_(std::move(s)) {}

  Napi::Promise promise() { return deferred_.Promise(); }

  void Execute() override {
    try {
      proof_ = zk::prove(zkey_, wtns_.data(), wtns_.size(), r_.data(), s_.data());
    } catch (const ProveFailure& e) {
      code_ = e.code;
      msg_ = e.what();
    } catch (const std::bad_alloc&) {
      code_ = "PROVE_TOO_LARGE";
      msg_ = "out of memory while proving";
    } catch (const std::exception& e) {
      code_ = "PROVE_NATIVE_FAILED";
      msg_ = e.what();
    }
    std::vector<uint8_t>().swap(wtns_);
  }

  void OnOK() override {
    Napi::Env env = Env();
    if (!code_.empty()) {
      deferred_.Reject(errorWithCode(env, code_, msg_).Value());
      return;
    }
    Napi::Object o = Napi::Object::New(env);
    o.Set("a", canonicalG1(env, proof_.a));
    o.Set("b", canonicalG2(env, proof_.b));
    o.Set("c", canonicalG1(env, proof_.c));
    Napi::Array ms = Napi::Array::New(env, N_STAGES);
    for (uint32_t i = 0; i < N_STAGES; i++) ms.Set(i, Napi::Number::New(env, proof_.ms[i]));
    o.Set("ms", ms);
    o.Set("nPublic", Napi::Number::New(env, proof_.nPublic));
    deferred_.Resolve(o);
  }

  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  std::string zkey_;
  std::vector<uint8_t> wtns_, r_, s_;
  Proof proof_;
  std::string code_, msg_;
};

std::vector<uint8_t> copyBytes(const Napi::Value& v, const char* name) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array)
    throw Napi::TypeError::New(v.Env(), std::string(name) + " must be a Uint8Array");
  auto a = v.As<Napi::Uint8Array>();
  return std::vector<uint8_t>(a.Data(), a.Data() + a.ByteLength());
}

Napi::Value Prove(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 4 || !info[0].IsString())
    throw Napi::TypeError::New(env, "prove(zkeyPath, wtns, r, s)");
  std::vector<uint8_t> r = copyBytes(info[2], "r"), s = copyBytes(info[3], "s");
  if (r.size() != 64 || s.size() != 64) throw Napi::TypeError::New(env, "r and s must be 64 random bytes each");
  auto* w = new ProveWorker(env, info[0].As<Napi::String>().Utf8Value(), copyBytes(info[1], "wtns"), std::move(r),
                            std::move(s));
  Napi::Promise p = w->promise();
  w->Queue();
  return p;
}

Napi::Value Threads(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), double(ThreadPool::get().size()));
}

// ---- stages, for tests ----

template <class F>
void requireElements(Napi::Env env, const std::vector<uint8_t>& b, const char* name) {
  if (b.size() % 32 != 0) throw Napi::RangeError::New(env, std::string(name) + ": not whole 32-byte elements");
  for (size_t i = 0; i < b.size(); i += 32)
    if (!F::lessThanModulus(b.data() + i))
      throw errorWithCode(env, "PROVE_BAD_INPUT", std::string(name) + ": element " + std::to_string(i / 32) +
                                                      " is at or above the modulus");
}

// fft(values: Montgomery Fr elements, inverse) -> the transform
Napi::Value Fft(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::vector<uint8_t> v = copyBytes(info[0], "values");
  requireElements<Fr>(env, v, "values");
  size_t n = v.size() / 32;
  if (n == 0 || (n & (n - 1)) != 0 || n > (size_t(1) << 28))
    throw Napi::RangeError::New(env, "fft: the size must be a power of 2");
  fft(reinterpret_cast<Fr*>(v.data()), n, info[1].ToBoolean());
  return bytes(env, v.data(), v.size());
}

// msm(points: affine Montgomery, scalars: canonical) -> affine Montgomery (zeros: infinity)
template <class F>
Napi::Value Msm(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::vector<uint8_t> pts = copyBytes(info[0], "points"), sc = copyBytes(info[1], "scalars");
  const size_t pb = PointLoader<F>::bytes;
  requireElements<Fq>(env, pts, "points");
  requireElements<Fr>(env, sc, "scalars");
  if (pts.size() % pb != 0 || pts.size() / pb != sc.size() / 32)
    throw Napi::RangeError::New(env, "msm: as many points as scalars");
  auto a = msm<F>(pts.data(), sc.data(), sc.size() / 32).toAffine();
  return bytes(env, &a, sizeof a);
}

// buildAbc(coefs: section 4 body, witness: canonical values, domainSize) -> [A, B, C]
Napi::Value BuildAbc(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::vector<uint8_t> coefs = copyBytes(info[0], "coefs"), wit = copyBytes(info[1], "witness");
  uint32_t domainSize = info[2].As<Napi::Number>().Uint32Value();
  requireElements<Fr>(env, wit, "witness");
  uint32_t n = coefs.size() >= 4 ? *reinterpret_cast<const uint32_t*>(coefs.data()) : 0;
  if (coefs.size() < 4 || coefs.size() != 4 + uint64_t(n) * COEF_BYTES)
    throw errorWithCode(env, "PROVE_BAD_KEY", "buildAbc: the coefficient section has the wrong size");
  std::vector<Fr> A, B, C;
  try {
    buildAbc(coefs.data(), n, wit.data(), uint32_t(wit.size() / 32), domainSize, A, B, C);
  } catch (const ProveFailure& e) {
    throw errorWithCode(env, e.code, e.what());
  }
  Napi::Array out = Napi::Array::New(env, 3);
  out.Set(0u, bytes(env, A.data(), A.size() * 32));
  out.Set(1u, bytes(env, B.data(), B.size() * 32));
  out.Set(2u, bytes(env, C.data(), C.size() * 32));
  return out;
}

// computeH(a, b, c: Montgomery evaluations on the domain) -> H's canonical scalars
Napi::Value ComputeH(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::vector<uint8_t> a = copyBytes(info[0], "a"), b = copyBytes(info[1], "b"), c = copyBytes(info[2], "c");
  requireElements<Fr>(env, a, "a");
  requireElements<Fr>(env, b, "b");
  requireElements<Fr>(env, c, "c");
  size_t n = a.size() / 32;
  if (n == 0 || (n & (n - 1)) != 0 || b.size() != a.size() || c.size() != a.size())
    throw Napi::RangeError::New(env, "computeH: three arrays of the same power-of-2 size");
  auto vec = [&](const std::vector<uint8_t>& x) {
    std::vector<Fr> v(n);
    std::memcpy(v.data(), x.data(), x.size());
    return v;
  };
  std::vector<Fr> A = vec(a), B = vec(b), C = vec(c);
  computeH(A, B, C, log2Exact(n));
  return bytes(env, A.data(), n * 32);
}

// field(which: "fq" | "fr", op: "mul" | "add" | "sub" | "neg" | "inv", x, y) on canonical
// 32-byte little-endian elements.
Napi::Value Field(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string which = info[0].As<Napi::String>(), op = info[1].As<Napi::String>();
  std::vector<uint8_t> x = copyBytes(info[2], "x"), y = copyBytes(info[3], "y");
  if (x.size() != 32 || y.size() != 32) throw Napi::RangeError::New(env, "field: 32-byte elements");
  auto run = [&](auto tag) -> Napi::Value {
    using F = decltype(tag);
    if (!F::lessThanModulus(x.data()) || !F::lessThanModulus(y.data()))
      throw errorWithCode(env, "PROVE_BAD_INPUT", "field: an element at or above the modulus");
    F a = F::fromCanonicalBytes(x.data()), b = F::fromCanonicalBytes(y.data()), r;
    if (op == "mul") r = a * b;
    else if (op == "add") r = a + b;
    else if (op == "sub") r = a - b;
    else if (op == "neg") r = -a;
    else if (op == "inv") r = a.inv();
    else throw Napi::Error::New(env, "field: unknown op " + op);
    uint8_t out[32];
    r.toCanonicalBytes(out);
    return bytes(env, out, 32);
  };
  if (which == "fq") return run(Fq{});
  if (which == "fr") return run(Fr{});
  throw Napi::Error::New(env, "field: fq or fr");
}

// eddsaInit(b8x, b8y, c3, m3, roundsP3, c6, m6, roundsP6): Baby Jubjub's B8 and Poseidon's
// constants for t = 3 and t = 6 (canonical 32-byte little-endian elements), once per process.
Napi::Value EddsaInit(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() != 8) throw Napi::TypeError::New(env, "eddsaInit(b8x, b8y, c3, m3, roundsP3, c6, m6, roundsP6)");
  auto elements = [&](const Napi::Value& v, const char* name) {
    std::vector<uint8_t> b = copyBytes(v, name);
    requireElements<Fr>(env, b, name);
    std::vector<Fr> out(b.size() / 32);
    for (size_t i = 0; i < out.size(); i++) out[i] = Fr::fromCanonicalBytes(b.data() + 32 * i);
    return out;
  };
  auto& v = eddsa::verifier();
  // once per process: batches may be running on other threads by a second call
  if (v.ready) return env.Undefined();
  std::vector<Fr> b8x = elements(info[0], "b8x"), b8y = elements(info[1], "b8y");
  if (b8x.size() != 1 || b8y.size() != 1) throw Napi::RangeError::New(env, "eddsaInit: B8 is two elements");
  auto params = [&](eddsa::PoseidonParams& p, int t, int c, int m, int r) {
    p.t = t;
    p.roundsP = info[r].As<Napi::Number>().Int32Value();
    p.C = elements(info[c], "C");
    p.M = elements(info[m], "M");
    if (p.C.size() != size_t((p.roundsF + p.roundsP) * t) || p.M.size() != size_t(t * t))
      throw Napi::RangeError::New(env, "eddsaInit: Poseidon constants of the wrong size");
  };
  params(v.p2, 3, 2, 3, 4);
  params(v.p5, 6, 5, 6, 7);
  v.initCurve(b8x[0], b8y[0]);
  v.ready = true;
  return env.Undefined();
}

class EddsaWorker : public Napi::AsyncWorker {
 public:
  EddsaWorker(Napi::Env env, std::vector<uint8_t> items, bool hashMessage)
      : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)), items_(std::move(items)),
        hash_(hashMessage) {}
  Napi::Promise promise() { return deferred_.Promise(); }
  void Execute() override {
    const size_t n = items_.size() / ITEM;
    ok_.resize(n);
    const auto& v = eddsa::verifier();
    for (size_t i = 0; i < n; i++) ok_[i] = v.verify(items_.data() + i * ITEM, hash_) ? 1 : 0;
  }
  void OnOK() override { deferred_.Resolve(bytes(Env(), ok_.data(), ok_.size())); }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }
  static constexpr size_t ITEM = 7 * 32;

 private:
  Napi::Promise::Deferred deferred_;
  std::vector<uint8_t> items_;
  bool hash_;
  std::vector<uint8_t> ok_;
};

// eddsaVerify(items, hashMessage): a promise of one byte per item (1: valid), checked on
// libuv's thread pool. An item is Ax, Ay, R8x, R8y, S, m0, m1, big-endian (see eddsa.hpp).
Napi::Value EddsaVerify(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!eddsa::verifier().ready) throw Napi::Error::New(env, "eddsaVerify before eddsaInit");
  std::vector<uint8_t> items = copyBytes(info[0], "items");
  if (items.size() % EddsaWorker::ITEM != 0) throw Napi::RangeError::New(env, "eddsaVerify: items of 7 elements");
  auto* w = new EddsaWorker(env, std::move(items), info[1].ToBoolean().Value());
  Napi::Promise p = w->promise();
  w->Queue();
  return p;
}

// eddsaTables(): { built, held }, the per-key tables built since the start and held now.
Napi::Value EddsaTables(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto st = eddsa::verifier().keys.stats();
  Napi::Object o = Napi::Object::New(env);
  o.Set("built", Napi::Number::New(env, double(st.first)));
  o.Set("held", Napi::Number::New(env, double(st.second)));
  return o;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("prove", Napi::Function::New(env, Prove));
  exports.Set("threads", Napi::Function::New(env, Threads));
  Napi::Object stages = Napi::Object::New(env);
  stages.Set("fft", Napi::Function::New(env, Fft));
  stages.Set("msmG1", Napi::Function::New(env, Msm<Fq>));
  stages.Set("msmG2", Napi::Function::New(env, Msm<Fq2>));
  stages.Set("buildAbc", Napi::Function::New(env, BuildAbc));
  stages.Set("computeH", Napi::Function::New(env, ComputeH));
  stages.Set("field", Napi::Function::New(env, Field));
  exports.Set("stages", stages);
  exports.Set("eddsaInit", Napi::Function::New(env, EddsaInit));
  exports.Set("eddsaVerify", Napi::Function::New(env, EddsaVerify));
  exports.Set("eddsaTables", Napi::Function::New(env, EddsaTables));
  return exports;
}

}  // namespace

NODE_API_MODULE(zkclear_prover, Init)
