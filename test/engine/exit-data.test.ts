import assert from "node:assert/strict";
import { oneX } from "../../prover/src/domain/volatility.ts";
import { zeroIndices } from "../../prover/src/domain/funding.ts";
import { exitSignerHash, signExit } from "../../prover/src/domain/exit.ts";
import { devKeyPair } from "../../prover/src/domain/keys.ts";
import {
  parseExitDataFile,
  toExitDataFile,
  type ExitData,
} from "../../prover/src/domain/exit-data.ts";
import {
  addReceipt,
  parseReceiptsFile,
  receiptExitData,
  RECEIPTS_KEPT,
  toReceiptsFile,
  type Receipt,
  type ReceiptBook,
} from "../../prover/src/domain/receipts.ts";
import { exitInput } from "../../prover/src/engine/exit.ts";
import { exitDataOf, exitInputFromData } from "../../prover/src/engine/exit-data.ts";
import { settleTrades } from "../../prover/src/engine/trades.ts";
import { sampleExchange, simpleTrade, type Sample } from "../../prover/src/dev/sample.ts";
import { PARAM_SETS } from "../../prover/src/domain/params.ts";
import { ZkClearError } from "../../prover/src/domain/errors.ts";
import { FEE_ACCOUNT, INSURANCE_ACCOUNT } from "../../prover/src/domain/constants.ts";
import { devOwnerKeys } from "../../prover/src/domain/owners.ts";

const P = PARAM_SETS.test;
const TO = 0x70997970c51812dc3a010c7d01b50e20e4f6ad88n;
const SETTLEMENT = "0x0000000000000000000000000000000000000001"; // the sample's domain

function code(c: string): (e: unknown) => boolean {
  return (e: unknown) => {
    assert.ok(e instanceof ZkClearError, String(e));
    assert.equal(e.code, c, e.message);
    return true;
  };
}

/**
 * Exit data (domain/exit-data.ts, engine/exit-data.ts) and receipts (domain/receipts.ts):
 * the leaf and path of one account at the frozen root, made from a whole tree or a kept
 * receipt, give exactly the ExitAccount input the engine builds from the whole state, and
 * any change to them is refused for its reason.
 */
describe("exit data and receipts: an account's way out from its leaf and path alone", function () {
  let s: Sample;
  let data: ExitData;
  const freeze = {
    chainId: 31337n,
    settlement: SETTLEMENT,
    batches: 7,
    roundId: 3n,
    fundingIndices: zeroIndices(P.markets),
    margins: oneX(P.markets),
  };

  before(function () {
    s = sampleExchange(P, 4, 1_000_000n);
    const trade = simpleTrade(s, s.traders[2], s.traders[3], 0, 1n, s.marks[0], {
      buy: 1n,
      sell: 1n,
    });
    settleTrades(s.state, [trade], s.marks, P.batch);
    data = exitDataOf(s.state, s.traders[2].index, { ...freeze, marks: s.marks }, "test");
  });

  it("builds the same ExitAccount input from the exit data as the engine does from the whole tree", function () {
    for (const t of [s.traders[0], s.traders[2], s.traders[3]]) {
      const d = exitDataOf(s.state, t.index, { ...freeze, marks: s.marks }, "test");
      const sig = signExit(t.index, TO, t.keys.privateKey, s.domain);
      assert.deepEqual(
        exitInputFromData(d, s.state, TO, sig),
        exitInput(s.state, t.index, TO, sig, s.marks, freeze.fundingIndices, oneX(s.marks.length)),
      );
    }
    // an open position is settled at the marks in the payout the data states
    assert.equal(data.root, s.state.root);
    assert.equal(
      data.payout,
      exitInput(
        s.state,
        s.traders[2].index,
        TO,
        { r8x: 0n, r8y: 0n, s: 0n },
        s.marks,
        freeze.fundingIndices,
        oneX(s.marks.length),
      ).payout,
    );
  });

  it("builds an exit at round 0's zero marks (a freeze before any round), and refuses zero marks elsewhere", function () {
    // traders 0 and 1 never traded: at round 0 no account can hold a position
    const zeros = s.marks.map(() => 0n);
    const t = s.traders[0];
    const sig = signExit(t.index, TO, t.keys.privateKey, s.domain);
    const d = exitDataOf(s.state, t.index, { ...freeze, roundId: 0n, marks: zeros }, "test");
    const input = exitInputFromData(d, s.state, TO, sig);
    assert.deepEqual(
      input,
      exitInput(s.state, t.index, TO, sig, zeros, freeze.fundingIndices, oneX(zeros.length)),
    );
    assert.equal(input.payout, s.state.getAccount(t.index).collateral);
    // zero marks at any other round are a price no oracle posts: refused
    const later = exitDataOf(s.state, t.index, { ...freeze, marks: zeros }, "test");
    assert.throws(() => exitInputFromData(later, s.state, TO, sig), code("MARK_ZERO"));
    // round 0 with a mark: not round 0's binding
    const marked = { ...d, marks: [s.marks[0], 0n] };
    assert.throws(() => exitInputFromData(marked, s.state, TO, sig), /round 0's marks are zeros/);
    // an account with a position cannot be at round 0's binding, from the tree or the data
    const u = s.traders[2];
    const usig = signExit(u.index, TO, u.keys.privateKey, s.domain);
    const open = /holds a position in market 0: the exit data is not a freeze's/;
    assert.throws(
      () => exitInput(s.state, u.index, TO, usig, zeros, freeze.fundingIndices, oneX(2)),
      open,
    );
    const ud = exitDataOf(s.state, u.index, { ...freeze, roundId: 0n, marks: zeros }, "test");
    assert.throws(() => exitInputFromData(ud, s.state, TO, usig), open);
  });

  it("refuses a trader's exit input without the key's signature", function () {
    assert.throws(() => exitInputFromData(data, s.state, TO, null), code("EXIT_UNSIGNED"));
  });

  it("needs the fee and fund owners' signatures for the system accounts' exits (EXIT_UNSIGNED without)", function () {
    const owners = devOwnerKeys();
    for (const [account, owner] of [
      [FEE_ACCOUNT, owners.fee],
      [INSURANCE_ACCOUNT, owners.fund],
    ] as const) {
      const d = exitDataOf(s.state, account, { ...freeze, marks: s.marks }, "test");
      assert.throws(() => exitInputFromData(d, s.state, TO, null), code("EXIT_UNSIGNED"));
      assert.throws(
        () =>
          exitInput(
            s.state,
            account,
            TO,
            null,
            s.marks,
            freeze.fundingIndices,
            oneX(s.marks.length),
          ),
        code("EXIT_UNSIGNED"),
      );
      // signed by the owner: both builders give the same input, carrying that signature
      const sig = signExit(account, TO, owner.privateKey, s.domain);
      const input = exitInputFromData(d, s.state, TO, sig);
      assert.deepEqual(
        input,
        exitInput(s.state, account, TO, sig, s.marks, freeze.fundingIndices, oneX(s.marks.length)),
      );
      assert.deepEqual([input.sigR8x, input.sigR8y, input.sigS], [sig.r8x, sig.r8y, sig.s]);
    }
  });

  it("builds a system account's exit signed by its pending owner key (signer = Poseidon(key)) as the engine does, never a trader's", function () {
    const pending = devKeyPair("pending fee owner");
    const d = exitDataOf(s.state, FEE_ACCOUNT, { ...freeze, marks: s.marks }, "test");
    const sig = signExit(FEE_ACCOUNT, TO, pending.privateKey, s.domain);
    const input = exitInputFromData(d, s.state, TO, sig, pending.publicKey);
    assert.deepEqual(
      input,
      exitInput(
        s.state,
        FEE_ACCOUNT,
        TO,
        sig,
        s.marks,
        freeze.fundingIndices,
        oneX(s.marks.length),
        pending.publicKey,
      ),
    );
    assert.deepEqual(
      [input.signer, input.signerX, input.signerY],
      [exitSignerHash(pending.publicKey), pending.publicKey.x, pending.publicKey.y],
    );
    // without a pending key: signer 0, the leaf's key signs
    assert.equal(exitInputFromData(d, s.state, TO, sig).signer, 0n);
    const t = s.traders[0];
    const td = exitDataOf(s.state, t.index, { ...freeze, marks: s.marks }, "test");
    assert.throws(
      () => exitInputFromData(td, s.state, TO, sig, pending.publicKey),
      code("EXIT_SIGNER_NOT_SYSTEM"),
    );
  });

  it("round-trips its file, and refuses a changed leaf, path, payout or format for its reason", function () {
    const text = toExitDataFile(data);
    assert.deepEqual(parseExitDataFile(text), data);
    const edit = (f: (j: Record<string, unknown>) => void) => {
      const j = JSON.parse(text) as Record<string, unknown>;
      f(j);
      return () => parseExitDataFile(JSON.stringify(j));
    };
    const leaf = (j: Record<string, unknown>) => j.leaf as Record<string, unknown>;
    // more collateral than the tree holds: the leaf no longer hashes to the root
    assert.throws(
      edit((j) => (leaf(j).collateral = `${data.leaf.collateral + 1n}n`)),
      code("EXIT_DATA_MISMATCH"),
    );
    assert.throws(
      edit((j) => ((j.siblings as string[][])[1][0] = "5n")),
      code("EXIT_DATA_MISMATCH"),
    );
    assert.throws(
      edit((j) => (j.account = "4n")),
      code("EXIT_DATA_MISMATCH"),
    );
    assert.throws(
      edit((j) => (j.payout = `${data.payout + 1n}n`)),
      /the leaf pays/,
    );
    assert.throws(
      edit((j) => (j.root = "1n")),
      code("EXIT_DATA_MISMATCH"),
    );
    assert.throws(
      edit((j) => (j.format = "zkclear-exit-data/0")),
      code("EXIT_DATA_INVALID"),
    );
    assert.throws(
      edit((j) => (j.extra = 1)),
      /unknown field\(s\) extra/,
    );
    assert.throws(
      edit((j) => delete j.marks),
      /has no field "marks"/,
    );
    assert.throws(
      edit((j) => (j.siblings = [])),
      code("EXIT_DATA_INVALID"),
    );
    // the payout is after funding at the stated indices: other indices, another payout
    assert.throws(
      edit((j) => (j.fundingIndices = ["1000000000n", "0n"])),
      /the leaf pays/,
    );
    assert.throws(
      edit((j) => (j.fundingIndices = ["0n"])),
      /1 funding indices for 2 markets/,
    );
    assert.throws(() => parseExitDataFile("{"), code("EXIT_DATA_INVALID"));
  });

  describe("receipts", function () {
    const t = () => s.traders[0];
    const receiptAt = (root: bigint, batch: number | null, checkedAt = 1): Receipt => {
      const proof = s.state.tree.proof(t().index);
      assert.equal(root, s.state.root, "receipts are made at the sample's root");
      return {
        account: t().index,
        leaf: s.state.getAccount(t().index),
        siblings: proof.siblings,
        root,
        batch,
        checkedAt,
      };
    };
    const empty = (): ReceiptBook => ({
      chainId: 31337n,
      settlement: SETTLEMENT,
      depth: P.depth,
      account: t().index,
      receipts: [],
    });

    it("keeps one receipt per root, the batch it was seen on-chain at, and at most RECEIPTS_KEPT", function () {
      let book = addReceipt(empty(), receiptAt(s.state.root, 7));
      book = addReceipt(book, receiptAt(s.state.root, null, 2));
      assert.equal(book.receipts.length, 1);
      assert.equal(book.receipts[0].batch, 7);
      assert.equal(book.receipts[0].checkedAt, 2);
      assert.deepEqual(parseReceiptsFile(toReceiptsFile(book)), book);
      // many roots: the newest RECEIPTS_KEPT remain (other roots are faked by a foreign book)
      const fake = (i: number): Receipt => ({ ...receiptAt(s.state.root, i), root: BigInt(i) });
      const many: ReceiptBook = {
        ...book,
        receipts: Array.from({ length: RECEIPTS_KEPT }, (_, i) => fake(i + 100)),
      };
      const next = addReceipt(many, receiptAt(s.state.root, 9));
      assert.equal(next.receipts.length, RECEIPTS_KEPT);
      assert.equal(next.receipts[0].root, s.state.root);
    });

    it("refuses a receipt whose leaf does not lead to its root", function () {
      const r = receiptAt(s.state.root, 1);
      const richer = { ...r, leaf: { ...r.leaf, collateral: r.leaf.collateral + 1n } };
      assert.throws(() => addReceipt(empty(), richer), code("RECEIPT_INVALID"));
      const text = toReceiptsFile(addReceipt(empty(), r)).replace(
        `"collateral": "${r.leaf.collateral}n"`,
        `"collateral": "${r.leaf.collateral + 1n}n"`,
      );
      assert.throws(() => parseReceiptsFile(text), code("RECEIPT_INVALID"));
    });

    it("gives the exit data of the receipt at the frozen root, and says the receipt is stale otherwise", function () {
      const book = addReceipt(empty(), receiptAt(s.state.root, 5));
      const at = {
        root: s.state.root,
        batches: 5,
        roundId: 3n,
        marks: s.marks,
        fundingIndices: freeze.fundingIndices,
        margins: freeze.margins,
      };
      const d = receiptExitData(book, at, "receipt test");
      assert.deepEqual(d, exitDataOf(s.state, t().index, { ...freeze, ...at }, "receipt test"));
      assert.throws(
        () => receiptExitData(book, { ...at, root: s.state.root + 1n }, "x"),
        (e: unknown) => code("RECEIPT_STALE")(e) && /stale: use a replica/.test(String(e)),
      );
      assert.throws(() => receiptExitData(empty(), at, "x"), code("RECEIPT_STALE"));
    });
  });
});
