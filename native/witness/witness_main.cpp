// The entry point of a circuit's native witness calculator: circom's generated C++ for the
// circuit (circom2 --c), linked with zkclear's field runtime (fr_runtime.cpp) and this.
//
//   <calculator> <circuit.dat> <out.wtns>   inputs on standard input:
//     u32 count, then per input signal: u32 name length, the name, u32 value count, and
//     that many 32-byte little-endian values (already reduced modulo r).
//
// Writes the witness in snarkjs's .wtns format (version 2) and exits 0. A refused input
// exits 2 with the reason on stderr; a failed circuit assert prints circom's message on
// stdout and aborts, as circom's own calculators do.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "calcwit.hpp"
#include "circom.hpp"

extern "C" void zkclear_shorten(PFrElement e);  // fr_runtime.cpp

namespace {

[[noreturn]] void refuse(const std::string& why) {
  std::fprintf(stderr, "zkclear witness: %s\n", why.c_str());
  std::exit(2);
}

// The .dat file: the input hash map, the witness-to-signal list, the constants, then the
// template and bus IO maps (u32 words), each as circom's generated main reads them.
class Dat {
 public:
  explicit Dat(const char* path) {
    int fd = open(path, O_RDONLY);
    if (fd < 0) refuse(std::string("cannot open ") + path);
    struct stat st;
    if (fstat(fd, &st) != 0) refuse(std::string("cannot stat ") + path);
    size_ = size_t(st.st_size);
    data_ = static_cast<const uint8_t*>(mmap(nullptr, size_ ? size_ : 1, PROT_READ, MAP_PRIVATE, fd, 0));
    close(fd);
    if (data_ == MAP_FAILED) refuse(std::string("cannot map ") + path);
  }
  const uint8_t* take(size_t n) {
    if (n > size_ - at_) refuse("the circuit's .dat file is truncated");
    const uint8_t* p = data_ + at_;
    at_ += n;
    return p;
  }
  uint32_t u32() {
    uint32_t v;
    std::memcpy(&v, take(4), 4);
    return v;
  }

 private:
  const uint8_t* data_;
  size_t size_ = 0, at_ = 0;
};

IOFieldDefPair readFieldDefs(Dat& d) {
  IOFieldDefPair p;
  p.len = d.u32();
  p.defs = static_cast<IOFieldDef*>(calloc(p.len ? p.len : 1, sizeof(IOFieldDef)));
  for (u32 j = 0; j < p.len; j++) {
    IOFieldDef& f = p.defs[j];
    f.offset = d.u32();
    f.len = d.u32();
    f.lengths = new u32[f.len ? f.len : 1];
    if (f.len) std::memcpy(f.lengths, d.take(size_t(f.len) * 4), size_t(f.len) * 4);
    f.size = d.u32();
    f.busId = d.u32();
  }
  return p;
}

Circom_Circuit* loadCircuit(const char* path) {
  Dat d(path);
  auto* c = new Circom_Circuit;
  c->InputHashMap = new HashSignalInfo[get_size_of_input_hashmap()];
  std::memcpy(c->InputHashMap, d.take(get_size_of_input_hashmap() * sizeof(HashSignalInfo)),
              get_size_of_input_hashmap() * sizeof(HashSignalInfo));
  c->witness2SignalList = new u64[get_size_of_witness()];
  std::memcpy(c->witness2SignalList, d.take(get_size_of_witness() * sizeof(u64)), get_size_of_witness() * sizeof(u64));
  c->circuitConstants = new FrElement[get_size_of_constants() ? get_size_of_constants() : 1];
  if (get_size_of_constants())
    std::memcpy(c->circuitConstants, d.take(get_size_of_constants() * sizeof(FrElement)),
                get_size_of_constants() * sizeof(FrElement));
  for (uint i = 0; i < get_size_of_constants(); i++) zkclear_shorten(&c->circuitConstants[i]);
  if (get_size_of_io_map() > 0) {
    std::vector<u32> index(get_size_of_io_map());
    for (auto& i : index) i = d.u32();
    for (u32 i : index) c->templateInsId2IOSignalInfo[i] = readFieldDefs(d);
    c->busInsId2FieldInfo =
        static_cast<IOFieldDefPair*>(calloc(get_size_of_bus_field_map() + 1, sizeof(IOFieldDefPair)));
    for (uint i = 0; i < get_size_of_bus_field_map(); i++) c->busInsId2FieldInfo[i] = readFieldDefs(d);
  } else {
    c->busInsId2FieldInfo = nullptr;
  }
  return c;
}

void readAll(void* out, size_t n) {
  uint8_t* p = static_cast<uint8_t*>(out);
  while (n > 0) {
    size_t got = std::fread(p, 1, n, stdin);
    if (got == 0) refuse("the inputs end early");
    p += got;
    n -= got;
  }
}

uint32_t readU32() {
  uint32_t v;
  readAll(&v, 4);
  return v;
}

bool belowQ(const uint64_t* v) {
  for (int i = 3; i >= 0; i--)
    if (v[i] != Fr_rawq[i]) return v[i] < Fr_rawq[i];
  return false;
}

// The input hash map's entry for a signal name, or null.
const HashSignalInfo* findInput(const Circom_Circuit* c, u64 h) {
  for (uint i = 0; i < get_size_of_input_hashmap(); i++)
    if (c->InputHashMap[i].hash == h && c->InputHashMap[i].signalsize > 0) return &c->InputHashMap[i];
  return nullptr;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) refuse("usage: <calculator> <circuit.dat> <out.wtns> (inputs on stdin)");
  Circom_Circuit* circuit = loadCircuit(argv[1]);
  auto* ctx = new Circom_CalcWit(circuit);

  struct Input {
    std::string name;
    u64 hash;
    std::vector<FrElement> values;
  };
  std::vector<Input> inputs(readU32());
  uint64_t given = 0;
  for (Input& in : inputs) {
    uint32_t len = readU32();
    if (len > 4096) refuse("an input name is too long");
    in.name.resize(len);
    readAll(&in.name[0], len);
    in.hash = fnv1a(in.name);
    const HashSignalInfo* info = findInput(circuit, in.hash);
    if (!info) refuse("the circuit has no input signal \"" + in.name + "\"");
    uint32_t n = readU32();
    if (n != info->signalsize)
      refuse("input signal \"" + in.name + "\" has " + std::to_string(n) + " values; the circuit takes " +
             std::to_string(info->signalsize));
    in.values.resize(n);
    for (FrElement& v : in.values) {
      v.shortVal = 0;
      v.type = Fr_LONG;
      readAll(v.longVal, 32);
      if (!belowQ(v.longVal)) {
        refuse("input signal \"" + in.name + "\" has a value at or above the field modulus");
      }
    }
    given += n;
  }
  if (given != get_main_input_signal_no())
    refuse(std::to_string(get_main_input_signal_no() - given) + " input values were not given");
  // The last value set runs the circuit.
  for (Input& in : inputs)
    for (uint i = 0; i < in.values.size(); i++) ctx->setInputSignal(in.hash, i, in.values[i]);

  FILE* out = std::fopen(argv[2], "wb");
  if (!out) refuse(std::string("cannot write ") + argv[2]);
  const uint32_t n = get_size_of_witness();
  const uint32_t head[] = {0x736e7477 /* "wtns" */, 2, 2, 1};
  std::fwrite(head, 4, 4, out);
  const uint64_t s1 = 4 + 32 + 4;
  std::fwrite(&s1, 8, 1, out);
  const uint32_t n8 = 32;
  std::fwrite(&n8, 4, 1, out);
  std::fwrite(Fr_rawq, 8, 4, out);
  std::fwrite(&n, 4, 1, out);
  const uint32_t t2 = 2;
  const uint64_t s2 = uint64_t(n) * 32;
  std::fwrite(&t2, 4, 1, out);
  std::fwrite(&s2, 8, 1, out);
  std::vector<uint64_t> buf(size_t(n) * 4);
  for (uint32_t i = 0; i < n; i++) {
    FrElement v, normal;
    ctx->getWitness(i, &v);
    Fr_toLongNormal(&normal, &v);
    std::memcpy(&buf[size_t(i) * 4], normal.longVal, 32);
  }
  std::fwrite(buf.data(), 8, buf.size(), out);
  if (std::fclose(out) != 0) refuse(std::string("cannot write ") + argv[2]);
  return 0;
}
