pragma circom 2.1.9;

include "sparse-poseidon.circom";

// QuadInsert: places `node` at child position p = b0 + 2*b1 of a 4-ary parent whose
// other three children are `siblings` (in increasing position order, skipping p).
//   b0, b1: path bits; the caller must constrain them to be bits (Num2Bits does).
//   children (output): the parent's four children, ready to hash.
// 7 constraints.
template QuadInsert() {
    signal input node;
    signal input siblings[3];
    signal input b0;
    signal input b1;
    signal output children[4];

    signal both <== b0 * b1;
    // position 0: node when p == 0, else siblings[0]
    children[0] <== siblings[0] + (1 - b0 - b1 + both) * (node - siblings[0]);
    // position 1: p==0 -> siblings[0], p==1 -> node, p>=2 -> siblings[1]
    signal lowPair <== siblings[0] + b0 * (node - siblings[0]);
    children[1] <== siblings[1] + (1 - b1) * (lowPair - siblings[1]);
    // position 2: p<=1 -> siblings[1], p==2 -> node, p==3 -> siblings[2]
    signal highPair <== node + b0 * (siblings[2] - node);
    children[2] <== siblings[1] + b1 * (highPair - siblings[1]);
    // position 3: node when p == 3, else siblings[2]
    children[3] <== siblings[2] + both * (node - siblings[2]);
}

// QuadMerkleRoot(L): the root of a 4-ary Poseidon Merkle tree of L levels (binary
// depth 2L) computed from a leaf, its index bits and its siblings.
//   leaf: field element (0 is the empty leaf).
//   indexBits[2L]: little-endian bits of the leaf index; caller ensures they are bits.
//   siblings[L][3]: the three other children at each level, leaf level first.
//   root (output).
// L * (297 + 7) constraints.
template QuadMerkleRoot(L) {
    signal input leaf;
    signal input indexBits[2 * L];
    signal input siblings[L][3];
    signal output root;

    component insert[L];
    component hash[L];
    signal level[L + 1];
    level[0] <== leaf;
    for (var l = 0; l < L; l++) {
        insert[l] = QuadInsert();
        insert[l].node <== level[l];
        insert[l].siblings <== siblings[l];
        insert[l].b0 <== indexBits[2 * l];
        insert[l].b1 <== indexBits[2 * l + 1];
        hash[l] = SparsePoseidon(4);
        hash[l].inputs <== insert[l].children;
        level[l + 1] <== hash[l].out;
    }
    root <== level[L];
}

// LeafUpdate(L): old and new roots of the same path, for a leaf replaced in place.
// The caller compares oldRoot with the current root and carries newRoot forward.
template LeafUpdate(L) {
    signal input oldLeaf;
    signal input newLeaf;
    signal input indexBits[2 * L];
    signal input siblings[L][3];
    signal output oldRoot;
    signal output newRoot;

    oldRoot <== QuadMerkleRoot(L)(oldLeaf, indexBits, siblings);
    newRoot <== QuadMerkleRoot(L)(newLeaf, indexBits, siblings);
}
