pragma circom 2.1.9;

include "sparse-poseidon.circom";

// The account tree's shape (prover/src/domain/tree.ts is its twin): a leaf index of D bits
// (2..32) is read from the leaves up in levels of 3 bits (8 children per node, Poseidon(8))
// while at least 3 bits are left over for the levels above, then in levels of 2 bits
// (4 children, Poseidon(4)): D = 3a + 2b with b in {0, 1, 2} as small as it can be.
//   D = 24: eight levels of 8; D = 16: four of 8, two of 4; D = 8: two of 8, one of 4.
// Per bit of path, an 8-ary level costs (402 + 14) / 3 = 139 constraints for a root and a
// 4-ary level (297 + 7) / 2 = 152: the widest Poseidon circomlib has (16) would cost 153.
function TREE_OCT_LEVELS(D) {
    var twos = (3 - D % 3) % 3;
    return (D - 2 * twos) \ 3;
}
function TREE_LEVELS(D) {
    return TREE_OCT_LEVELS(D) + (3 - D % 3) % 3;
}
// Every level's siblings are given as 7 values; a 4-ary level uses the first 3 and the
// others must be 0.
function TREE_SIBLINGS() { return 7; }

// PathPosition(W): the one-hot child position p = b0 + 2*b1 (+ 4*b2) of a 2^W-ary level.
//   bits[W]: the path bits; the caller must constrain them to be bits (Num2Bits does).
//   isAt[2^W] (output): isAt[k] = 1 iff p == k.
// W = 2: 1 constraint; W = 3: 4 constraints.
template PathPosition(W) {
    assert(W == 2 || W == 3);
    signal input bits[W];
    signal output isAt[1 << W];
    signal b01 <== bits[0] * bits[1];
    if (W == 2) {
        isAt[0] <== 1 - bits[0] - bits[1] + b01;
        isAt[1] <== bits[0] - b01;
        isAt[2] <== bits[1] - b01;
        isAt[3] <== b01;
    } else {
        signal b02 <== bits[0] * bits[2];
        signal b12 <== bits[1] * bits[2];
        signal b012 <== b01 * bits[2];
        // products of (bit or 1 - bit) expanded: each is linear in these four products
        isAt[0] <== 1 - bits[0] - bits[1] - bits[2] + b01 + b02 + b12 - b012;
        isAt[1] <== bits[0] - b01 - b02 + b012;
        isAt[2] <== bits[1] - b01 - b12 + b012;
        isAt[3] <== b01 - b012;
        isAt[4] <== bits[2] - b02 - b12 + b012;
        isAt[5] <== b02 - b012;
        isAt[6] <== b12 - b012;
        isAt[7] <== b012;
    }
}

// InsertChild(N): the N children of a node with `node` at the one-hot position `isAt` and
// the N - 1 `siblings` (in increasing position order, skipping the node's) elsewhere:
//   children[k] = siblings[k] if k < p, node if k == p, siblings[k - 1] if k > p.
//   isAt[N]: one-hot (PathPosition makes it so); siblings[N - 1]: any field elements.
// 2N - 2 constraints.
template InsertChild(N) {
    signal input node;
    signal input siblings[N - 1];
    signal input isAt[N];
    signal output children[N];
    // after[k] = 1 iff p > k: the sibling at position k is siblings[k], not siblings[k - 1]
    var after[N];
    after[N - 1] = 0;
    for (var k = N - 2; k >= 0; k--) {
        after[k] = after[k + 1] + isAt[k + 1];
    }
    signal shifted[N];
    signal placed[N];
    for (var k = 0; k < N; k++) {
        var below = k == 0 ? siblings[0] : siblings[k - 1];
        if (k == 0 || k == N - 1) {
            // position 0: siblings[0] unless p == 0; the last: siblings[N-2] unless p is it
            shifted[k] <== below;
        } else {
            shifted[k] <== below + after[k] * (siblings[k] - below);
        }
        placed[k] <== isAt[k] * (node - shifted[k]);
        children[k] <== shifted[k] + placed[k];
    }
}

// MerkleLevel(W): one level of the tree, for the old and the new value of the same leaf:
// both parents, from the same siblings and path bits.
//   oldNode, newNode: the level's node on each path; bits[W]: path bits (constrained by
//   the caller); siblings[7]: the level's siblings, the first 2^W - 1 used (the rest must
//   be 0, checked here).
// W = 3: 2 x 402 (Poseidon(8)) + 4 + 14 + 8 constraints; W = 2: 2 x 297 + 1 + 6 + 4.
template MerkleLevel(W) {
    var N = 1 << W;
    signal input oldNode;
    signal input newNode;
    signal input bits[W];
    signal input siblings[TREE_SIBLINGS()];
    signal output oldParent;
    signal output newParent;

    for (var k = N - 1; k < TREE_SIBLINGS(); k++) {
        siblings[k] === 0;
    }
    signal isAt[N] <== PathPosition(W)(bits);
    component old = InsertChild(N);
    old.node <== oldNode;
    for (var k = 0; k < N - 1; k++) {
        old.siblings[k] <== siblings[k];
    }
    old.isAt <== isAt;
    // the new path's children differ from the old path's only at the node's position
    signal change[N];
    signal newChildren[N];
    for (var k = 0; k < N; k++) {
        change[k] <== isAt[k] * (newNode - oldNode);
        newChildren[k] <== old.children[k] + change[k];
    }
    oldParent <== SparsePoseidon(N)(old.children);
    newParent <== SparsePoseidon(N)(newChildren);
}

// LeafUpdate(D): old and new roots of the same path, for a leaf replaced in place.
//   oldLeaf, newLeaf: field elements (0 is the empty leaf).
//   indexBits[D]: little-endian bits of the leaf index; the caller ensures they are bits.
//   siblings[TREE_LEVELS(D)][7]: each level's siblings, leaf level first (see MerkleLevel).
//   oldRoot, newRoot (outputs). The caller compares oldRoot with the current root and
//   carries newRoot forward.
template LeafUpdate(D) {
    assert(D >= 2 && D <= 32);
    var NL = TREE_LEVELS(D);
    var NO = TREE_OCT_LEVELS(D);
    signal input oldLeaf;
    signal input newLeaf;
    signal input indexBits[D];
    signal input siblings[NL][TREE_SIBLINGS()];
    signal output oldRoot;
    signal output newRoot;

    // one component array per arity (circom's witness generator wants arrays of one kind)
    component oct[NO];
    component quad[NL - NO];
    signal oldNode[NL + 1];
    signal newNode[NL + 1];
    oldNode[0] <== oldLeaf;
    newNode[0] <== newLeaf;
    for (var l = 0; l < NO; l++) {
        oct[l] = MerkleLevel(3);
        oct[l].oldNode <== oldNode[l];
        oct[l].newNode <== newNode[l];
        for (var b = 0; b < 3; b++) {
            oct[l].bits[b] <== indexBits[3 * l + b];
        }
        oct[l].siblings <== siblings[l];
        oldNode[l + 1] <== oct[l].oldParent;
        newNode[l + 1] <== oct[l].newParent;
    }
    for (var q = 0; q < NL - NO; q++) {
        quad[q] = MerkleLevel(2);
        quad[q].oldNode <== oldNode[NO + q];
        quad[q].newNode <== newNode[NO + q];
        for (var b = 0; b < 2; b++) {
            quad[q].bits[b] <== indexBits[3 * NO + 2 * q + b];
        }
        quad[q].siblings <== siblings[NO + q];
        oldNode[NO + q + 1] <== quad[q].oldParent;
        newNode[NO + q + 1] <== quad[q].newParent;
    }
    assert(3 * NO + 2 * (NL - NO) == D);
    oldRoot <== oldNode[NL];
    newRoot <== newNode[NL];
}
