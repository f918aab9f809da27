import { leafPreimage } from "../../prover/src/domain/account.ts";
import {
  BALANCE_FLAG_SHIFT,
  DEPOSIT_AMOUNT_SHIFT,
  DEPOSIT_FLAG_SHIFT,
} from "../../prover/src/domain/constants.ts";
import { FIELD_MODULUS, mod } from "../../prover/src/domain/field.ts";
import { poseidon } from "../../prover/src/domain/hash.ts";
import type { ApplyDepositsInput } from "../../prover/src/domain/inputs.ts";
import { devKeyPair } from "../../prover/src/domain/keys.ts";
import { defaultMarkets } from "../../prover/src/domain/market.ts";
import { devOwners } from "../../prover/src/domain/owners.ts";
import { SAMPLE_DOMAIN } from "../../prover/src/dev/sample.ts";
import { ExchangeState } from "../../prover/src/engine/state.ts";
import { applyDeposits } from "../../prover/src/engine/transfers.ts";
import { assertRefusedAt, TEST_PARAMS, witnessFor } from "../helpers/circuit.ts";

// DepositSlot (circuits/src/apply-deposits.circom) reads a deposit entry's isolation flag
// with three checks: its 3 bits, flag <= M (LessThan(3)) and no flag on a top-up. LessThan
// assumes inputs below 2^3; without the bits it computes the bits of flag + 2^3 - (M + 1),
// which for a flag of -1 (the field element p - 1) is 4: "less than M + 1". A new account
// opened from such an entry gets a leaf whose balance word carries -2^161, a word no
// circuit unpacks again: the account, and the deposit in it, is frozen for good. The Vault
// queues flags of at most M only; the circuit must refuse the entry all the same, at the
// flag's bits (the mutation run found every other test passing without them).

const P = TEST_PARAMS;
const ACCOUNT = 7n;
const AMOUNT = 50_000n;
const MINUS_ONE = FIELD_MODULUS - 1n;

describe("DepositSlot: an entry's flag is 3 bits, not a field element LessThan happens to take (test parameters)", function () {
  it("refuses a new account opened with flag -1, at the flag's bits, though the queue and the new root carry it", async function () {
    const s = ExchangeState.genesis(P.depth, defaultMarkets(P.markets), SAMPLE_DOMAIN, devOwners());
    const pubKey = devKeyPair("deposit-flag").publicKey;
    const deposit = { account: ACCOUNT, amount: AMOUNT, pubKey };
    const honest = applyDeposits(s, [deposit], 0n, P.deposits);
    await witnessFor({ kind: "apply_deposits", input: honest.input });

    // the entry as an operator would chain it, and the tree with the leaf it would write
    const word = mod(
      ACCOUNT +
        AMOUNT * (1n << BigInt(DEPOSIT_AMOUNT_SHIFT)) +
        MINUS_ONE * (1n << BigInt(DEPOSIT_FLAG_SHIFT)),
    );
    const queueTo = poseidon([honest.input.queueFrom, word, pubKey.x, pubKey.y]);
    const preimage = leafPreimage(s.getAccount(ACCOUNT));
    preimage[2] = mod(preimage[2] + MINUS_ONE * (1n << BigInt(BALANCE_FLAG_SHIFT)));
    s.tree.setLeaf(ACCOUNT, poseidon(preimage));
    const [slot, ...rest] = honest.input.slots;
    const forged: ApplyDepositsInput = {
      ...honest.input,
      queueTo,
      newRoot: s.tree.root,
      slots: [{ ...slot, flag: MINUS_ONE }, ...rest],
    };
    await assertRefusedAt(
      witnessFor({ kind: "apply_deposits", input: forged }),
      "apply-deposits.circom",
      "DepositSlot",
      "_ <== Num2Bits(FLAG_BITS())(flag);",
    );
  });
});
