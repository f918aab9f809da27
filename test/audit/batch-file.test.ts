import assert from "node:assert/strict";
import { oneX } from "../../prover/src/domain/volatility.ts";
import { devOwners } from "../../prover/src/domain/owners.ts";
import { zeroIndices } from "../../prover/src/domain/funding.ts";
import { fundingPayments } from "../../prover/src/domain/batch.ts";
import { PARAM_SETS } from "../../prover/src/domain/params.ts";
import { sampleExchange, simpleTrade } from "../../prover/src/dev/sample.ts";
import { signWithdrawal, payoutWord } from "../../prover/src/domain/transfers.ts";
import { settleTrades } from "../../prover/src/engine/trades.ts";
import { processWithdrawals } from "../../prover/src/engine/transfers.ts";
import {
  BatchFileError,
  parseBatchFile,
  parseConfigFile,
  toBatchFile,
  toConfigFile,
} from "../../prover/src/engine/batch-file.ts";
import { books, checkInvariants, negativeEquity } from "../../prover/src/audit/invariants.ts";
import { AbiCoder, keccak256 } from "ethers";
import { payoutsCommitment, type BatchData } from "../../prover/src/domain/batch.ts";
import { signTransfer } from "../../prover/src/domain/sub-accounts.ts";
import { batchCommitment } from "../../prover/src/domain/batch-kinds.ts";
import { stripMetadata } from "../../prover/src/proving/verifier-contract.ts";

const P = PARAM_SETS.test;
const META = {
  chainId: 31337n,
  settlement: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
  batch: 7,
};

function tradesBatch(): BatchData {
  const s = sampleExchange(P);
  const [a, b] = s.traders;
  const t = simpleTrade(s, a, b, 0, 2n, s.marks[0], { buy: 1n, sell: 1n });
  const r = settleTrades(s.state, [t], s.marks, P.batch);
  return {
    kind: "trades",
    trades: [t],
    marks: s.marks,
    round: 3n,
    fundingIndices: zeroIndices(P.markets),
    margins: oneX(s.marks.length),
    reduceOnly: 0n,
    ...r,
    funding: fundingPayments(r.funding),
  };
}

/** A withdrawal, and with `withTransfer` a transfer into the trader's isolated sub-account. */
function withdrawalsBatch(withTransfer = false): BatchData {
  const s = sampleExchange(P);
  const [a] = s.traders;
  const sw = signWithdrawal(
    { account: a.index, nonce: 0n, amount: 5_00n, recipient: 0xabcn },
    a.keys.privateKey,
    s.domain,
  );
  s.state.openAccount(7n, a.keys.publicKey, 0n, 0);
  const st = signTransfer(
    { from: a.index, to: 7n, nonce: 1n, amount: 3_00n, isolatedMarket: 0 },
    P.markets,
    a.keys.privateKey,
    s.domain,
  );
  const debits = withTransfer ? [sw, st] : [sw];
  const r = processWithdrawals(s.state, debits, s.marks, P.withdrawals);
  return {
    kind: "withdrawals",
    withdrawals: debits,
    marks: s.marks,
    round: 1n,
    fundingIndices: zeroIndices(P.markets),
    margins: oneX(s.marks.length),
    ...r,
    funding: fundingPayments(r.funding),
  };
}

const text = (d: BatchData) => JSON.stringify(toBatchFile(d, META));
const mutate = (d: BatchData, f: (j: Record<string, unknown>) => void) => {
  const j = JSON.parse(text(d)) as Record<string, unknown>;
  f(j);
  return JSON.stringify(j);
};
const refusedWith = (re: RegExp) => (e: unknown) =>
  e instanceof BatchFileError && e.code === "BATCH_FILE_INVALID" && re.test(e.message);

describe("batch files (zkclear-batch/1)", function () {
  it("round-trips every record and recomputes the on-chain commitment", function () {
    for (const d of [tradesBatch(), withdrawalsBatch(), withdrawalsBatch(true)]) {
      const f = parseBatchFile(text(d));
      assert.deepEqual(f.meta, META);
      assert.equal(toBatchFile(f.data, META).commitment, toBatchFile(d, META).commitment);
      assert.equal(batchCommitment(f.data), f.statedCommitment);
      assert.equal(text(f.data), text(d));
    }
    const d = tradesBatch();
    assert.equal(batchCommitment(d), (d as { dataCommitment: bigint }).dataCommitment);
  });

  it("hashes payouts as Settlement does: keccak256(abi.encode(uint256[]))", function () {
    const payouts = [payoutWord({ recipient: 0xabcn, amount: 5n }), 0n];
    const expected = BigInt(keccak256(AbiCoder.defaultAbiCoder().encode(["uint256[]"], [payouts])));
    assert.equal(payoutsCommitment(payouts), expected);
  });

  it("refuses malformed files, naming the field", function () {
    const d = tradesBatch();
    assert.throws(() => parseBatchFile("{", "f.json"), refusedWith(/^f\.json: not JSON/));
    assert.throws(
      () => parseBatchFile(mutate(d, (j) => (j.format = "zkclear-batch/2"))),
      refusedWith(/format: expected "zkclear-batch\/1"/),
    );
    assert.throws(
      () => parseBatchFile(mutate(d, (j) => (j.extra = 1))),
      refusedWith(/unknown field\(s\) extra/),
    );
    assert.throws(
      () => parseBatchFile(mutate(d, (j) => ((j.trades as { qty: unknown }[])[0].qty = 2))),
      refusedWith(/trades\[0\]\.qty: must be a non-negative integer as a decimal string, got 2/),
    );
    assert.throws(
      () => parseBatchFile(mutate(d, (j) => ((j.trades as { qty: unknown }[])[0].qty = "02"))),
      refusedWith(/trades\[0\]\.qty/),
    );
    assert.throws(
      () =>
        parseBatchFile(
          mutate(d, (j) => ((j.trades as { price: unknown }[])[0].price = String(2n ** 64n))),
        ),
      refusedWith(/trades\[0\]\.price: 18446744073709551616 does not fit 64 bits/),
    );
    assert.throws(
      () => parseBatchFile(mutate(d, (j) => delete j.newRoot)),
      refusedWith(/has no field "newRoot"/),
    );
  });

  it("reads signed funding indices and funding records, and refuses them out of range or on a deposit batch", function () {
    const d = tradesBatch();
    const back = parseBatchFile(
      mutate(d, (j) => {
        j.fundingIndices = ["-9223372036854775808", "9223372036854775807"];
        j.funding = [{ account: "3", payment: "-12" }];
      }),
    ).data;
    assert.ok("fundingIndices" in back && "funding" in back);
    assert.deepEqual(back.fundingIndices, [-(2n ** 63n), 2n ** 63n - 1n]);
    assert.deepEqual(back.funding, [{ account: 3n, payment: -12n }]);
    assert.throws(
      () => parseBatchFile(mutate(d, (j) => (j.fundingIndices = ["9223372036854775808", "0"]))),
      refusedWith(/fundingIndices\[0\].*does not fit/),
    );
    assert.throws(
      () => parseBatchFile(mutate(d, (j) => (j.fundingIndices = ["-07", "0"]))),
      refusedWith(/fundingIndices\[0\].*integer as a decimal string/),
    );
    assert.throws(
      () => parseBatchFile(mutate(d, (j) => (j.funding = [{ account: "3", payment: "1", x: 1 }]))),
      refusedWith(/funding\[0\].*unknown field/),
    );
    const deposits = {
      kind: "deposits",
      deposits: [],
      queueFrom: 0n,
      queueTo: 0n,
      oldRoot: 1n,
      newRoot: 1n,
    } as BatchData;
    assert.throws(
      () => parseBatchFile(mutate(deposits, (j) => (j.fundingIndices = ["0", "0"]))),
      refusedWith(/no roundId, prices, fundingIndices, margins or funding/),
    );
  });

  it("refuses withdrawal payouts that do not pay the listed withdrawals", function () {
    const d = withdrawalsBatch();
    assert.throws(
      () =>
        parseBatchFile(
          mutate(
            d,
            (j) => ((j.payouts as string[])[0] = String(BigInt((j.payouts as string[])[0]) + 1n)),
          ),
        ),
      refusedWith(/payouts\[0\]: does not pay withdrawal 0/),
    );
    assert.throws(
      () => parseBatchFile(mutate(d, (j) => ((j.payouts as string[])[1] = "1"))),
      refusedWith(/payouts\[1\]: a slot without a withdrawal pays nothing/),
    );
    // a transfer's slot pays nothing out
    assert.throws(
      () =>
        parseBatchFile(mutate(withdrawalsBatch(true), (j) => ((j.payouts as string[])[1] = "1"))),
      refusedWith(/payouts\[1\]: does not pay transfer 1 \(a transfer pays nothing out: 0\)/),
    );
  });

  it("refuses a configuration whose hash is not its markets'", function () {
    const s = sampleExchange(P);
    const c = toConfigFile({
      chainId: 1n,
      settlement: META.settlement,
      paramSet: P,
      markets: s.markets,
      fundFloor: 0n,
      owners: devOwners(),
    });
    assert.equal(parseConfigFile(JSON.stringify(c)).markets.length, P.markets);
    const bad = {
      ...c,
      markets: (c.markets as object[]).map((m, i) => (i ? m : { ...m, takerFeeBps: "99" })),
    };
    assert.throws(
      () => parseConfigFile(JSON.stringify(bad)),
      refusedWith(/configHash: \d+ is not the hash of its markets, fund floor/),
    );
  });
});

describe("audit invariants", function () {
  it("balance the books of an honest state and find a shortfall or one-sided open interest", function () {
    const s = sampleExchange(P, 2, 1_000n);
    const vault = { balance: 2_000n, pendingWithdrawals: 0n, queuedDeposits: 0n };
    assert.deepEqual(checkInvariants(books(s.state), vault, ["BTC", "ETH"]), {
      breaches: [],
      surplus: 0n,
    });
    assert.equal(checkInvariants(books(s.state), { ...vault, balance: 2_010n }, []).surplus, 10n);
    const short = checkInvariants(books(s.state), { ...vault, pendingWithdrawals: 1n }, []);
    assert.deepEqual(
      short.breaches.map((b) => b.code),
      ["SOLVENCY"],
    );
    assert.match(short.breaches[0].message, /short by 1$/);
    // a long position with no short on the other side
    const [a] = s.traders;
    const acc = s.state.getAccount(a.index);
    s.state.setAccount(a.index, {
      ...acc,
      positions: acc.positions.map((p, j) => (j === 1 ? { ...p, size: 3n, notional: 0n } : p)),
    });
    const oi = checkInvariants(books(s.state), vault, ["BTC", "ETH"]);
    assert.deepEqual(
      oi.breaches.map((b) => b.code),
      ["OPEN_INTEREST"],
    );
    assert.match(oi.breaches[0].message, /market 1 \(ETH\): long open interest 3 ≠ short 0/);
  });

  it("counts open notional against collateral, so realised and unrealised PnL net out", function () {
    const s = sampleExchange(P, 2, 1_000_000_00n);
    const [a, b] = s.traders;
    const t = simpleTrade(s, a, b, 0, 1n, s.marks[0], { buy: 1n, sell: 1n });
    settleTrades(s.state, [t], s.marks, P.batch);
    const bk = books(s.state);
    assert.equal(bk.owedToAccounts, 2_000_000_00n);
    assert.equal(bk.openInterest[0].long, 1n);
  });

  it("sums the equity of accounts under water at given prices", function () {
    const s = sampleExchange(P, 2, 1_000n);
    const [a, b] = s.traders;
    const t = simpleTrade(s, a, b, 0, 1n, 1_000n, { buy: 1n, sell: 1n });
    settleTrades(s.state, [t], [1_000n, s.marks[1]], P.batch, { unchecked: true });
    assert.equal(negativeEquity(s.state, [1_000n, s.marks[1]]), 0n);
    // the price doubles: the short (b) loses 1,000 on 1,000 of collateral less fees
    const fees = 1_000n - s.state.getAccount(b.index).collateral;
    assert.equal(negativeEquity(s.state, [3_000n, s.marks[1]]), -1_000n - fees);
  });

  it("strips solc's metadata trailer and nothing else", function () {
    assert.equal(
      stripMetadata(
        "0x6001600055a2646970667358220000000000000000000000000000000000000000000000000000000000000000000064736f6c634300081c0033",
      ),
      "6001600055",
    );
  });
});
