// What the data committee adds to a batch's gas: npm run bench:committee
//
// On an in-process Hardhat chain with real proofs (the `test` parameter set), trade batches
// are settled with 1, 2, 3 and 4 member signatures (a committee of 4 with threshold 1, so
// each count is accepted), and the gas of each transaction is printed with its difference
// to the one before: the cost of one more signature. A trade batch's gas does not depend on
// B (four public inputs, one proof: BENCHMARKS.md's sweep), so the cost per trade at B is
// the batch's cost divided by B; the table gives it at B = 16 and B = 64.
//
// `--base <gas>`: a trade batch's gas without a committee (the same command on the commit
// before the committee, or `npm run bench -- --sets test --kinds trades --sweep none` there):
// the script then prints what k signatures add in all, per batch and per trade.
import { parseArgs } from "node:util";
import hre from "hardhat";
import { BrowserProvider, type Eip1193Provider } from "ethers";
import { PARAM_SETS } from "../prover/src/domain/params.ts";
import { order } from "../prover/src/dev/sample.ts";
import { devCommitteeWallets } from "../prover/src/chain/committee.ts";
import { submitBatch } from "../prover/src/chain/settlement.ts";
import {
  deposit,
  devAttestationsFor,
  postRound,
  proveTrades,
  settleDeposits,
  setupWorld,
} from "../prover/src/dev/onchain.ts";
import { terminateCurve } from "../prover/src/proving/prover.ts";

const { values } = parseArgs({ options: { base: { type: "string" } } });
const base = values.base ? BigInt(values.base) : undefined;
const P = PARAM_SETS.test;
const MARKS = [60_000_00n, 3_000_00n];
const MEMBERS = 4;

const provider = new BrowserProvider(hre.network.provider as unknown as Eip1193Provider);
const [deployer, a, b] = await Promise.all([0, 1, 2].map((i) => provider.getSigner(i)));
const wallets = devCommitteeWallets(MEMBERS);
try {
  const w = await setupWorld(P, deployer, [a, b], {
    deploy: { committee: { members: wallets.map((x) => x.address), threshold: 1 } },
  });
  const [alice, bob] = w.participants;
  await deposit(w, alice, 1_000_000_00n);
  await deposit(w, bob, 1_000_000_00n);
  await settleDeposits(w);
  await postRound(w, MARKS);
  const rows: { signatures: number; gas: bigint }[] = [];
  for (let k = 1; k <= MEMBERS; k++) {
    const nonce = BigInt(k);
    const proven = await proveTrades(w, [
      {
        buy: order(
          w,
          { index: alice.account!, keys: alice.keys },
          { market: 0, side: "buy", nonce, amount: 1n, limitPrice: MARKS[0] },
        ),
        sell: order(
          w,
          { index: bob.account!, keys: bob.keys },
          { market: 0, side: "sell", nonce, amount: 1n, limitPrice: MARKS[0] },
        ),
        qty: 1n,
        price: MARKS[0],
        takerIsBuyer: true,
      },
    ]);
    const d = proven.data;
    const att = await devAttestationsFor(
      w.d,
      "trades",
      d.oldRoot,
      d.newRoot,
      d.dataCommitment,
      d.round,
      wallets.slice(0, k),
    );
    const rc = await submitBatch(w.d.settlement, d, proven.proof.proof, att);
    rows.push({ signatures: k, gas: rc.gasUsed });
  }
  const fmt = (x: bigint | number) => Math.round(Number(x)).toLocaleString("en-US");
  console.log(
    "| signatures (k) | gas per trade batch | one more signature | added per batch | added per trade, B=16 | added per trade, B=64 | per trade, B=16 | per trade, B=64 |",
  );
  console.log("|---|---|---|---|---|---|---|---|");
  for (const [i, r] of rows.entries()) {
    const step = i ? fmt(r.gas - rows[i - 1].gas) : "";
    const added = base !== undefined ? r.gas - base : undefined;
    console.log(
      `| ${r.signatures} | ${fmt(r.gas)} | ${step} | ${added !== undefined ? fmt(added) : "-"} | ` +
        `${added !== undefined ? fmt(Number(added) / 16) : "-"} | ${added !== undefined ? fmt(Number(added) / 64) : "-"} | ` +
        `${fmt(Number(r.gas) / 16)} | ${fmt(Number(r.gas) / 64)} |`,
    );
  }
} finally {
  await terminateCurve();
}
