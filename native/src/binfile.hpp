// iden3's binary container (zkey, wtns): a 4-byte magic, a u32 version, a u32 section
// count, then sections, each a u32 type, a u64 size and the body. Every read is checked
// against the bytes there are; a failure is a ProveFailure with a stable code and a
// message that says what was wrong.
#pragma once

#include <cstdint>
#include <cstring>
#include <map>
#include <stdexcept>
#include <string>

namespace zk {

struct ProveFailure : std::runtime_error {
  std::string code;
  ProveFailure(std::string c, const std::string& what) : std::runtime_error(what), code(std::move(c)) {}
};

struct Section {
  uint64_t offset;  // of the body, in the file
  uint64_t size;
};

class BinFile {
 public:
  // data: the whole file; what: "key" or "witness" (for messages); code: the error code.
  BinFile(const uint8_t* data, uint64_t size, const char* magic, uint32_t maxVersion,
          const std::string& what, const std::string& code)
      : data_(data), size_(size), what_(what), code_(code) {
    if (size < 12 || std::memcmp(data, magic, 4) != 0)
      fail("the " + what + " is not a ." + magic + " file");
    uint32_t version = u32(4);
    if (version == 0 || version > maxVersion)
      fail("the " + what + " has format version " + std::to_string(version) + ", not 1.." +
           std::to_string(maxVersion));
    uint32_t n = u32(8);
    uint64_t p = 12;
    for (uint32_t i = 0; i < n; i++) {
      if (size - p < 12)
        fail("the " + what + " is truncated: section " + std::to_string(i + 1) + " of " +
             std::to_string(n) + " has no header");
      uint32_t type = u32(p);
      uint64_t len = u64at(p + 4);
      p += 12;
      if (len > size - p)
        fail("the " + what + " is truncated: section " + std::to_string(type) + " claims " +
             std::to_string(len) + " bytes and " + std::to_string(size - p) + " are left");
      if (sections_.count(type)) fail("the " + what + " has section " + std::to_string(type) + " twice");
      sections_[type] = Section{p, len};
      p += len;
    }
    if (p != size)
      fail("the " + what + " has " + std::to_string(size - p) + " bytes after its last section");
  }

  [[noreturn]] void fail(const std::string& msg) const { throw ProveFailure(code_, msg); }

  const Section& section(uint32_t type) const {
    auto it = sections_.find(type);
    if (it == sections_.end()) fail("the " + what_ + " has no section " + std::to_string(type));
    return it->second;
  }
  // The section's body, which must be exactly `expected` bytes long.
  const uint8_t* sectionOfSize(uint32_t type, uint64_t expected, const char* name) const {
    const Section& s = section(type);
    if (s.size != expected)
      fail("the " + what_ + "'s " + name + " section (" + std::to_string(type) + ") has " +
           std::to_string(s.size) + " bytes, not the " + std::to_string(expected) +
           " its header implies");
    return data_ + s.offset;
  }

  uint32_t u32(uint64_t pos) const {
    uint32_t v;
    std::memcpy(&v, data_ + pos, 4);
    return v;
  }
  uint64_t u64at(uint64_t pos) const {
    uint64_t v;
    std::memcpy(&v, data_ + pos, 8);
    return v;
  }
  const uint8_t* data() const { return data_; }

 private:
  const uint8_t* data_;
  uint64_t size_;
  std::string what_, code_;
  std::map<uint32_t, Section> sections_;
};

// Bounded little-endian reads within one section body.
class Reader {
 public:
  Reader(const BinFile& f, const Section& s, const char* name) : f_(f), p_(f.data() + s.offset), left_(s.size), name_(name) {}
  const uint8_t* take(uint64_t n) {
    if (n > left_) f_.fail(std::string("the ") + name_ + " section is too short");
    const uint8_t* r = p_;
    p_ += n;
    left_ -= n;
    return r;
  }
  uint32_t u32() {
    uint32_t v;
    std::memcpy(&v, take(4), 4);
    return v;
  }
  uint64_t left() const { return left_; }

 private:
  const BinFile& f_;
  const uint8_t* p_;
  uint64_t left_;
  const char* name_;
};

}  // namespace zk
