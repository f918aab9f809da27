import assert from "node:assert/strict";
import type { Account } from "../../prover/src/domain/account.ts";
import type {
  ApplyDepositsInput,
  ProcessWithdrawalsInput,
  SettleTradesInput,
} from "../../prover/src/domain/inputs.ts";
import { devKeyPair } from "../../prover/src/domain/keys.ts";
import { defaultMarkets } from "../../prover/src/domain/market.ts";
import { devOwners } from "../../prover/src/domain/owners.ts";
import { signTransfer } from "../../prover/src/domain/sub-accounts.ts";
import { signWithdrawal } from "../../prover/src/domain/transfers.ts";
import {
  SAMPLE_DOMAIN,
  sampleExchange,
  simpleTrade,
  type Sample,
} from "../../prover/src/dev/sample.ts";
import { ExchangeState } from "../../prover/src/engine/state.ts";
import { settleTrades } from "../../prover/src/engine/trades.ts";
import { applyDeposits, processWithdrawals } from "../../prover/src/engine/transfers.ts";
import { assertRefusedAt, TEST_PARAMS, witnessFor } from "../helpers/circuit.ts";

// Each slot of a batch proves its account's old leaf against the root the slot starts from,
// `(update.oldRoot - rootIn) * enabled === 0` (and a transfer's destination against the
// root after its source). That one constraint is all that ties the slot to the tree: every
// wire is still a function of the inputs without it, so the determinism check cannot miss
// it, and the mutation run could not judge its deletion either (its parser left the
// statement's opening bracket behind, and the mutant did not compile). Here each batch is
// built by the engine on a second exchange, the same but for one account holding more,
// and claimed from the first exchange's root (or, for the destination, with the second's
// destination leaf): every other constraint holds, so the slot's anchor alone must refuse
// it. Without it the operator proves a batch on a tree of its choosing: the Vault pays out
// collateral an account never held, a deposit credits an invented balance, a trade is
// margined on one, and the new root publishes the invented tree.

const P = TEST_PARAMS;
const RICHER = 1_000_000_000n;
const RECIPIENT = 0x70997970c51812dc3a010c7d01b50e20e4f6ad88n;
const ANCHOR = "(update.oldRoot - rootIn) * enabled === 0;";

/** The sample exchange, `account`'s leaf edited (written without the engine's checks). */
function sample(account?: bigint, edit: (a: Account) => Partial<Account> = () => ({})) {
  const s = sampleExchange(P, 2, 1_000_000n);
  if (account !== undefined) {
    const a = s.state.getAccount(account);
    s.state.setAccount(account, { ...a, ...edit(a) }, false);
  }
  return s;
}

const richer = (s: Sample, account: bigint) => {
  const a = s.state.getAccount(account);
  s.state.setAccount(account, { ...a, collateral: a.collateral + RICHER }, false);
  return s;
};

describe("every slot's old leaf is in the tree its batch starts from (test parameters)", function () {
  it("refuses a withdrawal proven on a tree where the account holds more than it does", async function () {
    const real = sample();
    const t = real.traders[0];
    // more than the account holds: the engine refuses it on the real exchange
    const amount = real.state.getAccount(t.index).collateral + 1n;
    const sw = () =>
      signWithdrawal(
        { account: t.index, nonce: 0n, amount, recipient: RECIPIENT },
        t.keys.privateKey,
        real.domain,
      );
    assert.throws(() => processWithdrawals(sample().state, [sw()], real.marks, P.withdrawals));
    const invented = richer(sample(), t.index);
    const r = processWithdrawals(invented.state, [sw()], invented.marks, P.withdrawals);
    const x: ProcessWithdrawalsInput = { ...r.input, oldRoot: real.state.root };
    await assertRefusedAt(
      witnessFor({ kind: "process_withdrawals", input: x }),
      "process-withdrawals.circom",
      "WithdrawalSlot",
      ANCHOR,
    );
  });

  it("refuses a transfer credited to a destination leaf that is not in the tree after its source", async function () {
    // trader 3's sub-account 6, isolated to market 0, under the same key
    const exchange = (extra: bigint) => {
      const s = sample();
      s.state.openAccount(6n, s.traders[0].keys.publicKey, 1_000_000n + extra, 0);
      return s;
    };
    const batch = (s: Sample) =>
      processWithdrawals(
        s.state,
        [
          signTransfer(
            { from: s.traders[0].index, to: 6n, nonce: 0n, amount: 250_000n, isolatedMarket: 0 },
            P.markets,
            s.traders[0].keys.privateKey,
            s.domain,
          ),
        ],
        s.marks,
        P.withdrawals,
      ).input;
    const real = batch(exchange(0n));
    const invented = batch(exchange(RICHER));
    // the source's update is the real one (the same leaf in both trees, under the same
    // siblings); the destination's leaf is the richer one, under its siblings in the real
    // tree, which are the same, so the new root is the invented exchange's
    assert.deepEqual(invented.slots[0].toSiblings, real.slots[0].toSiblings);
    assert.notEqual(invented.slots[0].toBalance, real.slots[0].toBalance);
    const x: ProcessWithdrawalsInput = {
      ...real,
      newRoot: invented.newRoot,
      slots: [{ ...real.slots[0], toBalance: invented.slots[0].toBalance }, ...real.slots.slice(1)],
    };
    await assertRefusedAt(
      witnessFor({ kind: "process_withdrawals", input: x }),
      "process-withdrawals.circom",
      "WithdrawalSlot",
      "(destUpdate.oldRoot - mid) * transfer === 0;",
    );
  });

  it("refuses a deposit credited to a balance the tree does not hold", async function () {
    const exchange = (collateral: bigint) => {
      const s = ExchangeState.genesis(
        P.depth,
        defaultMarkets(P.markets),
        SAMPLE_DOMAIN,
        devOwners(),
      );
      const pubKey = devKeyPair("depositor-0").publicKey;
      applyDeposits(s, [{ account: 3n, amount: collateral, pubKey }], 0n, P.deposits);
      return s;
    };
    const real = exchange(1n);
    const invented = exchange(1n + RICHER);
    const topUp = { account: 3n, amount: 5n, pubKey: { x: 0n, y: 0n } };
    const r = applyDeposits(invented, [topUp], 1n, P.deposits);
    const x: ApplyDepositsInput = { ...r.input, oldRoot: real.root };
    await assertRefusedAt(
      witnessFor({ kind: "apply_deposits", input: x }),
      "apply-deposits.circom",
      "DepositSlot",
      ANCHOR,
    );
  });

  it("refuses a trade margined on a leaf the tree does not hold", async function () {
    const batch = (s: Sample) => {
      const [a, b] = s.traders;
      return settleTrades(
        s.state,
        [simpleTrade(s, a, b, 0, 1n, 60_000_00n, { buy: 1n, sell: 1n })],
        s.marks,
        P.batch,
      ).input;
    };
    const real = sampleExchange(P, 4);
    const invented = richer(sampleExchange(P, 4), real.traders[0].index);
    const x: SettleTradesInput = { ...batch(invented), oldRoot: real.state.root };
    await assertRefusedAt(
      witnessFor({ kind: "settle_trades", input: x }),
      "trade.circom",
      "TradeSide",
      ANCHOR,
    );
  });
});
