pragma circom 2.1.9;

include "circomlib/circuits/poseidon_constants.circom";

// SparsePoseidon(n): circomlib's Poseidon(n), the same hash (same constants, rounds and
// output, so poseidon-lite and poseidon-solidity stay its twins) and the same number of
// constraints, written directly in the form the prover is fastest with.
//   n: inputs, 1..16. inputs[n]: any field elements. out: Poseidon(inputs).
//
// Why. circomlib's Poseidon builds every round's linear layer as signals and leaves it to
// circom --O2 to substitute them away. The result has 3 constraints per S-box, like this
// one, but --O2 substitutes the S-box *inputs*, so every S-box constraint carries a
// linear combination of up to t + 60 wires in A and B. snarkjs evaluates A and B (not C)
// term by term for every proof, and the proving key stores every A and B term: a
// Poseidon(4) costs about 6,900 A and B terms there, and here about 1,400. Proofs of
// Poseidon-heavy circuits get about a third faster, their keys smaller, and since --O2
// has nothing left to substitute, compiling takes less time and memory.
//
// How. Each S-box x -> x^5 is three constraints, sq = u*u, qu = sq*sq, qu*u = v, where
// the input u is, wherever possible, one wire, and the output v is a linear combination
// (in C) of the *next* round's input wires: a full round's next inputs are M^T (v + c),
// so v = (M^T)^-1 next - c; a partial round's next input is S . (v + c, state[1..]), so v
// is that equation solved for v (S[0] != 0). The wires are: the S-box squares and fourth
// powers; the inputs of rounds 2 and 3, of every partial round and of second-half rounds
// 1 to 3; the outputs 1..t-1 of rounds 0 and 3 (first half) and of the last round; and
// the input 0 of the first second-half round. Where a wire would need a linear constraint
// of its own, the expression is used instead: the inputs of round 1 (t terms each) and
// inputs 1..t-1 of the first second-half round (the partial rounds' carried state).
// Every wire is then fixed by the inputs, round after round (the matrices are invertible),
// so the constraints have exactly one solution, the hash; the twin test checks the value
// against poseidon-lite and a forged-witness test checks that changed wires fail.
//
// The round structure followed is circomlib's PoseidonEx with initialState 0: ark, then
// 4 full rounds (the last mixed with P), 60-ish partial rounds with the sparse matrices
// S, 4 full rounds (the last not mixed), output = M-mix of the last state, element 0.

// (M^T)^-1 over the field, by Gauss-Jordan elimination (t <= 17).
function SparsePoseidonInverseTranspose(t, M) {
    var a[17][34];
    for (var i = 0; i < t; i++) {
        for (var j = 0; j < t; j++) {
            a[i][j] = M[j][i];
            a[i][t + j] = i == j ? 1 : 0;
        }
    }
    for (var col = 0; col < t; col++) {
        var pivot = col;
        while (pivot < t && a[pivot][col] == 0) {
            pivot++;
        }
        assert(pivot < t); // M is MDS, hence invertible
        for (var j = 0; j < 2 * t; j++) {
            var swap = a[col][j];
            a[col][j] = a[pivot][j];
            a[pivot][j] = swap;
        }
        var inv = 1 / a[col][col];
        for (var j = 0; j < 2 * t; j++) {
            a[col][j] = a[col][j] * inv;
        }
        for (var i = 0; i < t; i++) {
            if (i != col) {
                var f = a[i][col];
                for (var j = 0; j < 2 * t; j++) {
                    a[i][j] = a[i][j] - f * a[col][j];
                }
            }
        }
    }
    var q[17][17];
    for (var i = 0; i < t; i++) {
        for (var j = 0; j < t; j++) {
            q[i][j] = a[i][t + j];
        }
    }
    return q;
}

template SparsePoseidon(nInputs) {
    assert(nInputs >= 1 && nInputs <= 16);
    signal input inputs[nInputs];
    signal output out;

    var N_ROUNDS_P[16] = [56, 57, 56, 60, 60, 63, 64, 63, 60, 66, 60, 65, 70, 60, 64, 68];
    var t = nInputs + 1;
    var nRoundsF = 8;
    var half = 4;
    var nRoundsP = N_ROUNDS_P[t - 2];
    var C[t * nRoundsF + nRoundsP] = POSEIDON_C(t);
    var S[N_ROUNDS_P[t - 2] * (t * 2 - 1)] = POSEIDON_S(t);
    var M[t][t] = POSEIDON_M(t);
    var P[t][t] = POSEIDON_P(t);
    var Q[17][17] = SparsePoseidonInverseTranspose(t, M);

    // S-boxes with a non-constant input (round 0's element 0 is the constant C[0])
    var nSbox = nRoundsF * t + nRoundsP - 1;
    signal sq[nSbox];
    signal qu[nSbox];
    signal y0[t - 1];             // outputs 1..t-1 of round 0
    signal xf[half - 2][t];       // inputs of rounds 2 and 3
    signal yf[t - 1];             // outputs 1..t-1 of round 3
    signal xp[nRoundsP];          // inputs of the partial rounds
    signal xs0;                   // input 0 of the first second-half round
    signal xs[half - 1][t];       // inputs of second-half rounds 1..3
    signal yl[t - 1];             // outputs 1..t-1 of the last round

    var k = 0;
    var u[t];                     // this round's S-box inputs, linear in the wires
    var v[t];                     // this round's S-box outputs, linear in the wires
    var at[t];                    // the S-box counter of each element this round
    var w[t];                     // next round's inputs (values, for the witness)
    var st[t];                    // carried state of the partial rounds

    // A. Round 0: the inputs plus round constants; element 0 is constant.
    for (var j = 1; j < t; j++) {
        u[j] = inputs[j - 1] + C[j];
        sq[k] <== u[j] * u[j];
        qu[k] <== sq[k] * sq[k];
        y0[j - 1] <== qu[k] * u[j];
        k++;
    }
    v[0] = C[0] ** 5;
    for (var j = 1; j < t; j++) {
        v[j] = y0[j - 1];
    }
    // round 1's inputs: M^T (v + c), used as expressions
    for (var i = 0; i < t; i++) {
        var lc = 0;
        for (var j = 0; j < t; j++) {
            lc += M[j][i] * (v[j] + C[t + j]);
        }
        u[i] = lc;
    }

    // B. Rounds 1 and 2: outputs in terms of the next round's input wires.
    for (var r = 1; r < half - 1; r++) {
        for (var j = 0; j < t; j++) {
            sq[k] <== u[j] * u[j];
            qu[k] <== sq[k] * sq[k];
            at[j] = k;
            k++;
        }
        for (var i = 0; i < t; i++) {
            w[i] = 0;
            for (var j = 0; j < t; j++) {
                w[i] += M[j][i] * (qu[at[j]] * u[j] + C[(r + 1) * t + j]);
            }
            xf[r - 1][i] <-- w[i];
        }
        for (var j = 0; j < t; j++) {
            var lc = -C[(r + 1) * t + j];
            for (var i = 0; i < t; i++) {
                lc += Q[j][i] * xf[r - 1][i];
            }
            qu[at[j]] * u[j] === lc;
        }
        for (var i = 0; i < t; i++) {
            u[i] = xf[r - 1][i];
        }
    }

    // C. Round 3, mixed with P: outputs 1..t-1 are wires; output 0 follows from the
    // first partial round's input wire.
    for (var j = 0; j < t; j++) {
        sq[k] <== u[j] * u[j];
        qu[k] <== sq[k] * sq[k];
        at[j] = k;
        k++;
    }
    for (var j = 1; j < t; j++) {
        yf[j - 1] <== qu[at[j]] * u[j];
    }
    var w0 = 0;
    for (var j = 0; j < t; j++) {
        w0 += P[j][0] * (qu[at[j]] * u[j] + C[half * t + j]);
    }
    xp[0] <-- w0;
    assert(P[0][0] != 0);
    var out0 = xp[0];
    for (var j = 1; j < t; j++) {
        out0 -= P[j][0] * (yf[j - 1] + C[half * t + j]);
    }
    // a constant's inverse is folded at compile time; dividing the unknown would cost a
    // field inversion per witness
    var invP00 = 1 / P[0][0];
    out0 = out0 * invP00 - C[half * t];
    qu[at[0]] * u[0] === out0;
    v[0] = out0;
    for (var j = 1; j < t; j++) {
        v[j] = yf[j - 1];
    }
    st[0] = xp[0];
    for (var i = 1; i < t; i++) {
        var lc = 0;
        for (var j = 0; j < t; j++) {
            lc += P[j][i] * (v[j] + C[half * t + j]);
        }
        st[i] = lc;
    }

    // D. Partial rounds: one S-box each on a wire; its output follows from the next
    // round's input wire (the last one's from the second half's input 0).
    for (var r = 0; r < nRoundsP; r++) {
        var base = (t * 2 - 1) * r;
        sq[k] <== xp[r] * xp[r];
        qu[k] <== sq[k] * sq[k];
        var rest = 0;
        for (var i = 1; i < t; i++) {
            rest += S[base + i] * st[i];
        }
        var nextValue = S[base] * (qu[k] * xp[r] + C[(half + 1) * t + r]) + rest;
        var next;
        if (r < nRoundsP - 1) {
            xp[r + 1] <-- nextValue;
            next = xp[r + 1];
        } else {
            xs0 <-- nextValue;
            next = xs0;
        }
        assert(S[base] != 0);
        // a = v + c, the mix's input 0, solved from the next input
        var invS0 = 1 / S[base];
        var a = (next - rest) * invS0;
        qu[k] * xp[r] === a - C[(half + 1) * t + r];
        for (var i = 1; i < t; i++) {
            st[i] = st[i] + a * S[base + t + i - 1];
        }
        st[0] = next;
        k++;
    }

    // E. Second-half rounds 0..2: outputs in terms of the next round's input wires.
    for (var i = 0; i < t; i++) {
        u[i] = st[i];
    }
    for (var r = 0; r < half - 1; r++) {
        var cOff = (half + 1) * t + nRoundsP + r * t;
        for (var j = 0; j < t; j++) {
            sq[k] <== u[j] * u[j];
            qu[k] <== sq[k] * sq[k];
            at[j] = k;
            k++;
        }
        for (var i = 0; i < t; i++) {
            w[i] = 0;
            for (var j = 0; j < t; j++) {
                w[i] += M[j][i] * (qu[at[j]] * u[j] + C[cOff + j]);
            }
            xs[r][i] <-- w[i];
        }
        for (var j = 0; j < t; j++) {
            var lc = -C[cOff + j];
            for (var i = 0; i < t; i++) {
                lc += Q[j][i] * xs[r][i];
            }
            qu[at[j]] * u[j] === lc;
        }
        for (var i = 0; i < t; i++) {
            u[i] = xs[r][i];
        }
    }

    // F. The last round: outputs 1..t-1 are wires; output 0 follows from the hash.
    for (var j = 0; j < t; j++) {
        sq[k] <== u[j] * u[j];
        qu[k] <== sq[k] * sq[k];
        at[j] = k;
        k++;
    }
    for (var j = 1; j < t; j++) {
        yl[j - 1] <== qu[at[j]] * u[j];
    }
    var hash = 0;
    for (var j = 0; j < t; j++) {
        hash += M[j][0] * (qu[at[j]] * u[j]);
    }
    out <-- hash;
    assert(M[0][0] != 0);
    var last0 = out;
    for (var j = 1; j < t; j++) {
        last0 -= M[j][0] * yl[j - 1];
    }
    var invM00 = 1 / M[0][0];
    qu[at[0]] * u[0] === last0 * invM00;
    assert(k == nSbox);
}
