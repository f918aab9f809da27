pragma circom 2.1.9;

include "constants.circom";
include "range-check.circom";

// MarginRequirement(M): proves that an account meets its margin requirement with `floor`
// of equity to spare:
//   10^4 * equity >= sum_j |size_j| * mark_j * bps_j + 10^4 * floor,
//   equity = collateral + sum_j (size_j * mark_j - notional_j),
// where bps_j is the initial-margin rate, or the maintenance rate when `reducing` is 1.
//   collateral: signed, |.| < 2^128, range-checked by the caller.
//   size[j], sizeNegative[j]: signed |size| < 2^64 and its sign bit, checked by the caller.
//   notional[j]: signed, |.| < 2^128, checked by the caller.
//   mark[j]: < 2^64; imBps[j], mmBps[j]: < 2^16; checked by the caller.
//   reducing: bit (caller constrains).
//   floor: 0 <= floor < 2^127 (caller checks; the insurance fund's floor, 0 for others).
//   enabled: bit; when 0 the check is skipped (padding slots).
// With M <= 6 every intermediate stays below 2^148 in magnitude (10^4 * floor < 2^141),
// so the final 150-bit range check cannot be passed by a negative difference.
template MarginRequirement(M) {
    signal input collateral;
    signal input size[M];
    signal input sizeNegative[M];
    signal input notional[M];
    signal input mark[M];
    signal input imBps[M];
    signal input mmBps[M];
    signal input reducing;
    signal input floor;
    signal input enabled;

    signal markValue[M];
    signal absMarkValue[M];
    signal imTerm[M];
    signal mmTerm[M];
    var equity = collateral;
    var initialReq = 0;
    var maintenanceReq = 0;
    for (var j = 0; j < M; j++) {
        markValue[j] <== size[j] * mark[j];
        absMarkValue[j] <== markValue[j] * (1 - 2 * sizeNegative[j]);
        imTerm[j] <== absMarkValue[j] * imBps[j];
        mmTerm[j] <== absMarkValue[j] * mmBps[j];
        equity += markValue[j] - notional[j];
        initialReq += imTerm[j];
        maintenanceReq += mmTerm[j];
    }
    signal requirement <== initialReq + reducing * (maintenanceReq - initialReq);
    signal surplus <== enabled * (BPS_DENOMINATOR() * (equity - floor) - requirement);
    RangeCheck(MARGIN_DIFF_BITS())(surplus);
}
