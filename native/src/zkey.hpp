// A snarkjs Groth16 proving key (.zkey), mapped read-only from its file (never copied),
// with its header and the sizes of every section the prover reads checked before any of
// it is used:
//   1 protocol (u32 1 = Groth16)
//   2 header: n8q q n8r r nVars nPublic domainSize alpha1 beta1 beta2 gamma2 delta1 delta2
//   4 coefficients of A and B: u32 count, then (u32 matrix, u32 row, u32 signal, Fr·R^2)
//   5 A (G1, nVars)  6 B1 (G1, nVars)  7 B2 (G2, nVars)  8 C (G1, nVars - nPublic - 1)
//   9 H (G1, domainSize)
// Points are affine, Montgomery form, little-endian; (0, 0) is the point at infinity.
#pragma once

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <string>

#include "binfile.hpp"
#include "curve.hpp"

namespace zk {

constexpr uint64_t COEF_BYTES = 12 + 32;

class MappedFile {
 public:
  explicit MappedFile(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw ProveFailure("PROVE_BAD_KEY", "cannot open the proving key " + path + ": " + std::strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
      ::close(fd);
      throw ProveFailure("PROVE_BAD_KEY", "the proving key " + path + " is not a regular file");
    }
    size_ = uint64_t(st.st_size);
    if (size_ > 0) {
      void* p = mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
      if (p == MAP_FAILED) {
        ::close(fd);
        throw ProveFailure("PROVE_BAD_KEY", "cannot map the proving key " + path + ": " + std::strerror(errno));
      }
      data_ = static_cast<const uint8_t*>(p);
    }
    ::close(fd);
  }
  ~MappedFile() {
    if (data_) munmap(const_cast<uint8_t*>(data_), size_);
  }
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  const uint8_t* data() const { return data_ ? data_ : reinterpret_cast<const uint8_t*>(""); }
  uint64_t size() const { return size_; }
  // Tells the kernel a range will be read soon, in order.
  void willNeed(const uint8_t* p, uint64_t len) const {
    if (!data_ || len == 0) return;
    uintptr_t page = uintptr_t(sysconf(_SC_PAGESIZE));
    uintptr_t start = uintptr_t(p) & ~(page - 1);
    madvise(reinterpret_cast<void*>(start), uintptr_t(p) + len - start, MADV_WILLNEED);
  }

 private:
  const uint8_t* data_ = nullptr;
  uint64_t size_ = 0;
};

struct ZKey {
  uint32_t nVars = 0, nPublic = 0, domainSize = 0, power = 0;
  G1Affine alpha1, beta1, delta1;
  G2Affine beta2, delta2;
  const uint8_t* coefs = nullptr;  // section 4 body: count, then entries
  uint32_t nCoefs = 0;
  const uint8_t *pointsA = nullptr, *pointsB1 = nullptr, *pointsB2 = nullptr, *pointsC = nullptr,
                *pointsH = nullptr;
};

inline bool isQ(const uint8_t* b) {
  uint8_t q[32];
  std::memcpy(q, FqParams::P, 32);
  return std::memcmp(b, q, 32) == 0;
}
inline bool isR(const uint8_t* b) {
  uint8_t r[32];
  std::memcpy(r, FrParams::P, 32);
  return std::memcmp(b, r, 32) == 0;
}

// The key's header and section pointers; `data` must outlive the result.
inline ZKey parseZKey(const uint8_t* data, uint64_t size) {
  BinFile f(data, size, "zkey", 2, "proving key", "PROVE_BAD_KEY");
  ZKey k;
  {
    Reader r(f, f.section(1), "protocol");
    if (f.section(1).size != 4) f.fail("the proving key's protocol section has the wrong size");
    if (r.u32() != 1) f.fail("the proving key is not a Groth16 key");
  }
  {
    Reader r(f, f.section(2), "Groth16 header");
    uint32_t n8q = r.u32();
    if (n8q != 32 || !isQ(r.take(32))) f.fail("the proving key is not for bn128 (base field)");
    uint32_t n8r = r.u32();
    if (n8r != 32 || !isR(r.take(32))) f.fail("the proving key is not for bn128 (scalar field)");
    k.nVars = r.u32();
    k.nPublic = r.u32();
    k.domainSize = r.u32();
    auto g1 = [&](const char* name) {
      const uint8_t* p = r.take(64);
      if (!Fq::lessThanModulus(p) || !Fq::lessThanModulus(p + 32))
        f.fail(std::string("the proving key's ") + name + " has a coordinate outside the field");
      return loadG1(p);
    };
    auto g2 = [&](const char* name) {
      const uint8_t* p = r.take(128);
      for (int i = 0; i < 4; i++)
        if (!Fq::lessThanModulus(p + 32 * i))
          f.fail(std::string("the proving key's ") + name + " has a coordinate outside the field");
      return loadG2(p);
    };
    k.alpha1 = g1("alpha1");
    k.beta1 = g1("beta1");
    k.beta2 = g2("beta2");
    g2("gamma2");
    k.delta1 = g1("delta1");
    k.delta2 = g2("delta2");
    if (r.left() != 0) f.fail("the proving key's Groth16 header section is too long");
  }
  if (k.domainSize == 0 || (k.domainSize & (k.domainSize - 1)) != 0)
    f.fail("domain size " + std::to_string(k.domainSize) + " is not a power of 2");
  while ((1u << k.power) < k.domainSize) k.power++;
  if (k.power > 28) f.fail("domain size 2^" + std::to_string(k.power) + " exceeds bn128's 2^28");
  if (k.nVars < 1 || uint64_t(k.nPublic) + 1 > k.nVars)
    f.fail("the key has " + std::to_string(k.nVars) + " signals and " + std::to_string(k.nPublic) +
           " public inputs: there must be more signals than public inputs");

  const Section& cs = f.section(4);
  if (cs.size < 4) f.fail("the proving key's coefficient section is too short");
  k.coefs = data + cs.offset;
  k.nCoefs = f.u32(cs.offset);
  f.sectionOfSize(4, 4 + uint64_t(k.nCoefs) * COEF_BYTES, "coefficient");
  const uint64_t n = k.nVars;
  k.pointsA = f.sectionOfSize(5, n * 64, "A");
  k.pointsB1 = f.sectionOfSize(6, n * 64, "B1");
  k.pointsB2 = f.sectionOfSize(7, n * 128, "B2");
  k.pointsC = f.sectionOfSize(8, (n - k.nPublic - 1) * 64, "C");
  k.pointsH = f.sectionOfSize(9, uint64_t(k.domainSize) * 64, "H");
  return k;
}

// Every coordinate of points [from, to) (each `coords` field elements) below q.
inline bool coordinatesInField(const uint8_t* p, unsigned coords, uint64_t from, uint64_t to) {
  for (uint64_t i = from; i < to; i++)
    for (unsigned c = 0; c < coords; c++)
      if (!Fq::lessThanModulus(p + (i * coords + c) * 32)) return false;
  return true;
}

}  // namespace zk
