pragma circom 2.1.9;

include "circomlib/circuits/bitify.circom";

// RangeCheck(n): proves 0 <= in < 2^n.
//   n: 1..252, so that a negative value (r - |x|) can never pass.
//   in: private or public field element, any value (this template is the check).
template RangeCheck(n) {
    assert(n >= 1 && n <= 252);
    signal input in;
    component bits = Num2Bits(n);
    bits.in <== in;
}

// SignedRangeCheck(n): proves -2^n <= in < 2^n for a signed value encoded as a field
// element (x mod r, the encoding zkclear uses everywhere), and outputs its sign.
//   n: 1..251.
//   in: signed field element.
//   negative (output, 1 bit): 1 iff in < 0.
template SignedRangeCheck(n) {
    assert(n >= 1 && n <= 251);
    signal input in;
    signal output negative;
    component bits = Num2Bits(n + 1);
    bits.in <== in + (1 << n);
    negative <== 1 - bits.out[n];
}

// AssertBit: in * (in - 1) == 0.
template AssertBit() {
    signal input in;
    in * (in - 1) === 0;
}
