import assert from "node:assert/strict";
import fc from "fast-check";
import { FEE_ACCOUNT, INSURANCE_ACCOUNT } from "../../prover/src/domain/constants.ts";
import { devKeyPair } from "../../prover/src/domain/keys.ts";
import { defaultMarkets } from "../../prover/src/domain/market.ts";
import { devOwners } from "../../prover/src/domain/owners.ts";
import { depositQueueHash, type Deposit } from "../../prover/src/domain/transfers.ts";
import type { ApplyDepositsInput } from "../../prover/src/domain/inputs.ts";
import { ExchangeState } from "../../prover/src/engine/state.ts";
import { applyDeposits, TransferBatchError } from "../../prover/src/engine/transfers.ts";
import { SAMPLE_DOMAIN } from "../../prover/src/dev/sample.ts";
import { toApplyDepositsSignals } from "../../prover/src/domain/inputs.ts";
import { calculateWitness, WitnessError } from "../../prover/src/proving/prover.ts";
import { assertRefused, TEST_PARAMS, testCircuit, witnessFor } from "../helpers/circuit.ts";

/**
 * Owner key rotation in ApplyDeposits (DepositSlot): an entry naming a key on the fee account
 * or the fund replaces the leaf's key; a key named on a trader's leaf, or a rotation key off
 * the curve, fails the constraints. Refused witnesses are honest ones rewritten (the engine
 * refuses to build them).
 */
const P = TEST_PARAMS;
const NEW_KEY = devKeyPair("rotated owner").publicKey;
const TRADER_KEY = devKeyPair("rotation trader").publicKey;
const NO_KEY = { x: 0n, y: 0n };
const TRADER = 3n;

const depositsOf = (input: ApplyDepositsInput) => ({ kind: "apply_deposits" as const, input });

/** Genesis with trader 3 opened. */
function world(): ExchangeState {
  const s = ExchangeState.genesis(P.depth, defaultMarkets(P.markets), SAMPLE_DOMAIN, devOwners());
  applyDeposits(s, [{ account: TRADER, amount: 100n, pubKey: TRADER_KEY }], 0n, P.deposits);
  return s;
}

/** The honest witness of `d` alone, rewritten to name `pubKey` (queue hash following). */
function rewritten(d: Deposit, pubKey: { x: bigint; y: bigint }, opts: { newRoot?: bigint } = {}) {
  const honest = applyDeposits(world(), [d], 0n, P.deposits);
  const [slot, pad] = honest.input.slots;
  return depositsOf({
    ...honest.input,
    newRoot: opts.newRoot ?? honest.input.newRoot,
    queueTo: depositQueueHash(0n, { ...d, pubKey }),
    slots: [{ ...slot, pkX: pubKey.x, pkY: pubKey.y }, pad],
  });
}

/** The witness fails in `template` itself (innermost), not in a component it holds. */
async function refusedIn(x: ReturnType<typeof depositsOf>, template: string): Promise<void> {
  const files = await testCircuit("apply_deposits");
  await assert.rejects(calculateWitness(files.wasm, toApplyDepositsSignals(x.input)), (e) => {
    assert.ok(e instanceof WitnessError, String(e));
    assert.ok(e.templates[0]?.startsWith(template), e.templates.join(" < "));
    return true;
  });
}

describe("ApplyDeposits: owner key rotation (test parameters)", function () {
  for (const account of [FEE_ACCOUNT, INSURANCE_ACCOUNT]) {
    it(`rotates the key of account ${account}: the new leaf holds the new key (engine = circuit)`, async function () {
      const s = world();
      const r = applyDeposits(s, [{ account, amount: 0n, pubKey: NEW_KEY }], 0n, P.deposits);
      assert.deepEqual(s.getAccount(account).pubKey, NEW_KEY);
      const w = await witnessFor(depositsOf(r.input));
      assert.deepEqual(w.slice(1, 5), [r.oldRoot, r.newRoot, r.queueFrom, r.queueTo]);
      // the root of the same entry keeping the old key (a top-up's leaf) is refused
      const kept = applyDeposits(world(), [{ account, amount: 0n, pubKey: NO_KEY }], 0n, 2);
      assert.notEqual(kept.newRoot, r.newRoot);
      await assertRefused(
        rewritten({ account, amount: 0n, pubKey: NO_KEY }, NEW_KEY, { newRoot: kept.newRoot }),
        "ApplyDeposits",
      );
    });
  }

  it("refuses a key named on a trader's existing leaf (engine: DEPOSIT_KEY_ON_TOP_UP; circuit: DepositSlot)", async function () {
    const d: Deposit = { account: TRADER, amount: 5n, pubKey: NEW_KEY };
    assert.throws(
      () => applyDeposits(world(), [d], 0n, P.deposits),
      (e: unknown) => e instanceof TransferBatchError && e.code === "DEPOSIT_KEY_ON_TOP_UP",
    );
    await refusedIn(rewritten({ ...d, pubKey: NO_KEY }, NEW_KEY), "DepositSlot");
    // with the root the key replaced would give, too: the rule, not the root, refuses it
    const s = world();
    s.setAccount(TRADER, { ...s.getAccount(TRADER), pubKey: NEW_KEY, collateral: 105n });
    await refusedIn(
      rewritten({ ...d, pubKey: NO_KEY }, NEW_KEY, { newRoot: s.root }),
      "DepositSlot",
    );
  });

  it("refuses a rotation key off the curve (engine: OWNER_ROTATION_BAD_KEY; circuit: BabyCheck)", async function () {
    const bad = { x: 5n, y: 7n };
    assert.throws(
      () => applyDeposits(world(), [{ account: FEE_ACCOUNT, amount: 0n, pubKey: bad }], 0n, 2),
      (e: unknown) => e instanceof TransferBatchError && e.code === "OWNER_ROTATION_BAD_KEY",
    );
    await refusedIn(
      rewritten({ account: FEE_ACCOUNT, amount: 0n, pubKey: NEW_KEY }, bad),
      "BabyCheck",
    );
  });

  it("agrees with the engine on rotations, top-ups and refusals (property)", async function () {
    const keys = [NO_KEY, NEW_KEY, devKeyPair("other owner").publicKey, { x: 5n, y: 7n }];
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            account: fc.constantFrom(FEE_ACCOUNT, INSURANCE_ACCOUNT, TRADER),
            amount: fc.bigInt(0n, 1000n),
            key: fc.nat(keys.length - 1),
          }),
          { minLength: 1, maxLength: P.deposits },
        ),
        async (rows) => {
          const ds: Deposit[] = rows.map((r) => ({
            account: r.account,
            amount: r.amount,
            pubKey: keys[r.key],
          }));
          const s = world();
          let r;
          try {
            r = applyDeposits(s, ds, 0n, P.deposits);
          } catch (e) {
            assert.ok(e instanceof TransferBatchError, String(e));
            // the engine refuses exactly the rules the slot refuses: a key on the trader,
            // or a rotation key off the curve
            const first = ds[e.slot];
            assert.ok(first.pubKey.x !== 0n || first.pubKey.y !== 0n);
            assert.ok(first.account === TRADER || first.pubKey === keys[3]);
            // the honest witness of that entry without its key, rewritten to name it
            const template = first.account === TRADER ? "DepositSlot" : "BabyCheck";
            await refusedIn(rewritten({ ...first, pubKey: NO_KEY }, first.pubKey), template);
            return;
          }
          const w = await witnessFor(depositsOf(r.input));
          assert.deepEqual(w.slice(1, 5), [r.oldRoot, r.newRoot, r.queueFrom, r.queueTo]);
          // each owner's key is the last one named for it (or its genesis key)
          for (const [account, genesisKey] of [
            [FEE_ACCOUNT, devOwners().fee],
            [INSURANCE_ACCOUNT, devOwners().fund],
          ] as const) {
            const named = ds.filter((x) => x.account === account && x.pubKey !== NO_KEY);
            assert.deepEqual(s.getAccount(account).pubKey, named.at(-1)?.pubKey ?? genesisKey);
          }
        },
      ),
      { numRuns: 12 },
    );
  });
});
