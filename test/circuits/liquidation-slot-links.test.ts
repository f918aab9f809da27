import assert from "node:assert/strict";
import {
  isolationFlag,
  packBalance,
  packPositionWord,
  type Account,
} from "../../prover/src/domain/account.ts";
import { encodeSigned } from "../../prover/src/domain/amounts.ts";
import { mod } from "../../prover/src/domain/field.ts";
import { settleFunding } from "../../prover/src/domain/funding.ts";
import { oneX, scaledMarkets } from "../../prover/src/domain/volatility.ts";
import { SAMPLE_DOMAIN } from "../../prover/src/dev/sample.ts";
import { leafWitness } from "../../prover/src/engine/leaf-witness.ts";
import { liquidate } from "../../prover/src/engine/liquidations.ts";
import { noTakerFields } from "../../prover/src/engine/liquidators.ts";
import type { ExchangeState } from "../../prover/src/engine/state.ts";
import { compileProbe } from "../../prover/src/proving/build.ts";
import { calculateWitness } from "../../prover/src/proving/prover.ts";
import { readR1cs, unsatisfiedConstraints } from "../../prover/src/proving/r1cs.ts";
import { readWireNames } from "../../prover/src/verify/circuit-info.ts";
import { assertRefusedAt, statementLine } from "../helpers/circuit.ts";
import { INDICES, MARKS, P, markets, world } from "../helpers/liquidators.ts";
import { linkProbe, wireNamed, type GraftTarget } from "../helpers/o0-graft.ts";

// LiquidationSlot (circuits/src/liquidate-batch.circom) reads the liquidated account's leaf
// twice: the preimage (balance, word) is hashed into the leaf its Merkle path proves at
// rootIn, and it is unpacked (AccountLeafUnpack `old`) into the collateral, sizes and
// funding indices that judge the account below maintenance and write its new leaf. Three
// `<==` tie the two readings together: old.balance <== balance, old.word <== word and
// funding.collateral <== old.collateral. --O2 substitutes each away, and in the circuit with
// one of them made `<--` the freed wire is pinned only by the leaf hash, so neither the
// determinism stage nor a test that feeds inputs (the witness calculator computes the
// honest value of a `<--`) tells them apart.
//
// Here the prover writes another value through the link. A probe of LiquidationSlot at
// --O0 (every signal keeps its name) whose link reads a liquidator field instead (the slot
// has no liquidator, so those fields are free padding) computes the whole slot for the
// other value, and its witness, copied by name onto the --O2 probe of the sources under
// test, is the forged witness. The account is healthy (account 3 of test/helpers/
// liquidators.ts with 2,250,000 collateral: equity 1,150,000 against a 245,000 requirement
// at MARKS); the slot reads it as under-margined and liquidates it from its real root. The
// R1CS must refuse that; the one without the link accepts it by construction
// (npm run mutate:circuits -- --tests <this file> --id liquidate-batch.circom:<line>:unconstrain).

const FILE = "liquidate-batch.circom";
const M = P.markets;
const SLOT = `LiquidationSlot(${P.depth}, ${M})`;
const ACCOUNT = 3n;
/** Account 3's collateral in the healthy world (world() gives it 1,250,000). */
const HEALTHY_COLLATERAL = 2_250_000n;

type Signals = Record<string, string | string[] | string[][]>;
type Carrier = { takerBalance?: bigint; takerWord?: readonly bigint[] };

/** The liquidated account's fields of a slot on `s` (no liquidator), with `carrier`. */
function slotSignals(s: ExchangeState, carrier: Carrier): Signals {
  const leaf = leafWitness(s, ACCOUNT);
  const pad = { ...noTakerFields(s), ...carrier };
  const str = (xs: readonly bigint[]) => xs.map(String);
  const round = scaledMarkets(markets, oneX(M));
  const liquidation = scaledMarkets(markets, oneX(M), "liquidation");
  return {
    enabled: "1",
    account: String(ACCOUNT),
    ax: String(leaf.leafAx),
    ay: String(leaf.leafAy),
    balance: String(leaf.leafBalance),
    word: str(leaf.leafWord),
    notional: str(leaf.leafNotional),
    siblings: leaf.siblings.map(str),
    takerEnabled: String(pad.takerEnabled),
    taker: String(pad.taker),
    takerAx: String(pad.takerAx),
    takerAy: String(pad.takerAy),
    takerBalance: String(pad.takerBalance),
    takerWord: str(pad.takerWord),
    takerNotional: str(pad.takerNotional),
    takerSiblings: pad.takerSiblings.map(str),
    offerNonce: String(pad.offerNonce),
    offerTerm: str(pad.offerTerm),
    offerSigR8x: String(pad.offerSigR8x),
    offerSigR8y: String(pad.offerSigR8y),
    offerSigS: String(pad.offerSigS),
    take: str(pad.take),
    mark: str(MARKS),
    index: str(INDICES.map(encodeSigned)),
    imBps: str(round.map((m) => m.initialMarginBps)),
    mmBps: str(liquidation.map((m) => m.maintenanceMarginBps)),
    penaltyBps: str(markets.map((m) => m.liquidationPenaltyBps)),
    domain: String(SAMPLE_DOMAIN),
    rootIn: String(s.root),
  };
}

/** world() (account 3 under-margined at MARKS) and the healthy world. */
const underMargined = () => world();
function healthy(): ExchangeState {
  const s = world();
  s.setAccount(ACCOUNT, { ...s.getAccount(ACCOUNT), collateral: HEALTHY_COLLATERAL });
  return s;
}
const account3 = (s: ExchangeState): Account => s.getAccount(ACCOUNT);

/** A link of LiquidationSlot, the liquidator field the probe reads instead, and the use. */
interface Link {
  readonly statement: string;
  /** The replacement, at most the statement's length (the line is padded to its length). */
  readonly to: string;
  /** The carrier with the value the link reads honestly in `s`. */
  readonly honest: (s: ExchangeState) => Carrier;
  /** The carrier with the other value, written through the link in the healthy world. */
  readonly forged: () => Carrier;
  readonly title: string;
}

const balanceOf = (a: Account, collateral: bigint) =>
  packBalance(collateral, a.withdrawNonce, isolationFlag(a));
const wordsOf = (a: Account) => a.positions.map(packPositionWord);
/** Its collateral as 1,250,000, withdrawal nonce and flag as the leaf has them. */
const lowBalance = () => ({ takerBalance: balanceOf(account3(healthy()), 1_250_000n) });
/** Its BTC lot as flat, the rest of the word as the leaf has it. */
const flatBtc = () => ({
  takerWord: account3(healthy()).positions.map((p, j) =>
    packPositionWord(j === 0 ? { ...p, size: 0n } : p),
  ),
});

const LINKS: readonly Link[] = [
  {
    statement: "old.balance <== balance;",
    to: "old.balance<==takerBalance;",
    honest: (s) => ({ takerBalance: balanceOf(account3(s), account3(s).collateral) }),
    forged: lowBalance,
    title:
      "refuses liquidating a healthy account on a collateral its leaf does not hold: the slot unpacks 1,250,000 of its 2,250,000 and 1,000,000 vanishes (old.balance <== balance)",
  },
  {
    statement: "old.word <== word;",
    to: "old.word<==takerWord;",
    honest: (s) => ({ takerWord: wordsOf(account3(s)) }),
    forged: flatBtc,
    title:
      "refuses liquidating a healthy account on a position its leaf does not hold: its BTC lot read as flat, the fund pays its 3,750,000 'loss' and the lot stays in its leaf at notional 0 (old.word <== word)",
  },
  {
    statement: "funding.collateral <== old.collateral;",
    to: "funding.collateral<==takerBalance-2**128;",
    honest: (s) => ({ takerBalance: balanceOf(account3(s), account3(s).collateral) }),
    forged: lowBalance,
    title:
      "refuses judging a healthy account on a collateral its leaf does not hold: funding settles on 1,250,000 of its 2,250,000 and 1,000,000 vanishes (funding.collateral <== old.collateral)",
  },
];

describe("LiquidationSlot: the leaf it unpacks is the leaf it proves (witnesses grafted from --O0 probes at the R1CS level)", function () {
  /** The --O2 probe of the sources under test. */
  let target: GraftTarget;
  let wasm: string;
  const wire = (name: string) => wireNamed(target, name);
  const OUTPUTS = [
    "main.rootOut",
    ...["charge", "sizeMoved", "notionalMoved"].flatMap((o) =>
      Array.from({ length: M }, (_, j) => `main.${o}[${j}]`),
    ),
    "main.committedTaker",
  ];
  const outputs = (w: readonly bigint[]) => OUTPUTS.map((n) => w[wire(n)]);

  before(async function () {
    const probe = await compileProbe("liquidation_slot_links", FILE, SLOT, { wasm: true });
    target = { r1cs: readR1cs(probe.r1cs), names: readWireNames(probe.sym!).names };
    wasm = probe.wasm!;
  });

  it("liquidates the under-margined account 3 as the engine does, and refuses the healthy one", async function () {
    const honest = await calculateWitness(wasm, slotSignals(underMargined(), {}));
    assert.deepEqual(unsatisfiedConstraints(target.r1cs, honest), []);
    const r = liquidate(underMargined(), [ACCOUNT], MARKS, P.liquidations, {}, INDICES);
    assert.deepEqual(
      Array.from({ length: M }, (_, j) => honest[wire(`main.charge[${j}]`)]),
      r.charges[0].map(mod),
      "the engine's charges",
    );
    // healthy: no honest witness liquidates it (it is not below maintenance)
    await assertRefusedAt(
      calculateWitness(wasm, slotSignals(healthy(), {})),
      FILE,
      "LiquidationSlot",
      "RangeCheck(MARGIN_DIFF_BITS())(shortfall);",
    );
    assert.throws(() => liquidate(healthy(), [ACCOUNT], MARKS, P.liquidations, {}, INDICES));
  });

  for (const link of LINKS) {
    const line = statementLine(FILE, link.statement);
    it(`${link.title}, line ${line}`, async function () {
      const probe = await linkProbe(
        target,
        { name: `liquidation_slot_link_${line}`, source: FILE, expr: SLOT },
        { file: FILE, ...link },
      );

      // the harness: with the carrier holding the leaf's own value, the rewritten probe
      // grafted onto the --O2 probe is the honest liquidation of account 3, wire for wire
      const base = slotSignals(underMargined(), link.honest(underMargined()));
      const honest = await calculateWitness(wasm, base);
      await probe.reproduces(base, honest);

      // the forged liquidation of the healthy account: a witness of the slot whose link
      // reads the other value (the rewritten probe's R1CS accepts it)
      const s = healthy();
      const forged = (await probe.forge(slotSignals(s, link.forged()))).grafted;
      assert.equal(forged[wire("main.rootIn")], s.root, "from the healthy account's real root");
      if (link.forged === lowBalance) {
        // the slot writes what the honest liquidation of a 1,250,000 account writes: the
        // same leaf (collateral 101,000, no lot), the same root, the same charges
        assert.deepEqual(outputs(forged), outputs(honest));
      } else {
        // no lot moves; the fund's compartments pay equity = 2,250,000 - 6,000,000; the
        // account's new leaf: no collateral, its BTC lot at notional 0 (funding settled)
        const a = settleFunding(account3(s), INDICES).account;
        s.setAccount(ACCOUNT, {
          ...a,
          collateral: 0n,
          positions: a.positions.map((p) => ({ ...p, notional: 0n })),
        });
        assert.equal(forged[wire("main.rootOut")], s.root, "the lot kept at notional 0");
        const charges = Array.from({ length: M }, (_, j) => forged[wire(`main.charge[${j}]`)]);
        assert.equal(mod(charges.reduce((x, y) => x + y, 0n)), mod(-3_750_000n));
        for (let j = 0; j < M; j++) assert.equal(forged[wire(`main.sizeMoved[${j}]`)], 0n);
      }
      const broken = unsatisfiedConstraints(target.r1cs, forged);
      assert.ok(broken.length > 0, `${link.statement} (line ${line}) must break a constraint`);
    });
  }
});
