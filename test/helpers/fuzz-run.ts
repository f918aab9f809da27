import fc from "fast-check";
import {
  ACTORS,
  DEPOSITORS,
  advance,
  send,
  type ActorName,
  type Call,
  type FuzzWorld,
} from "./fuzz-world.ts";
import { digest, observe, violations, ROLE_NAMES, type Model } from "./fuzz-model.ts";
import { AMOUNTS, planStep, type Step } from "./fuzz-actions.ts";
import { BATCHES, BATCH_FAULTS } from "./fuzz-batches.ts";
import { planRoleStep, ROGUE_CALLS, TIMELOCK_ROGUE_CALLS, type RoleStep } from "./fuzz-roles.ts";

/**
 * Runs the fuzzed steps (fast-check commands) against the chain and checks the invariants
 * after each: a call's outcome must be the model's prediction, a refused call must leave
 * the observed state as it was, and the model and the chain must agree (fuzz-model.ts).
 */
export type AnyStep = Step | RoleStep;

export interface FuzzStats {
  /** Steps run, and after how many every invariant was checked (all of them). */
  steps: number;
  calls: number;
  /** Refused calls whose before/after digests were compared (invariant 4). */
  refused: number;
  /** Per step kind: calls accepted and refused, and the refusals seen by name. */
  readonly kinds: Record<string, { accepted: number; refused: number }>;
  readonly errors: Record<string, number>;
}

export const newStats = (): FuzzStats => ({
  steps: 0,
  calls: 0,
  refused: 0,
  kinds: {},
  errors: {},
});

const LOG = process.env.ZKCLEAR_FUZZ_LOG === "1";

export class InvariantBroken extends Error {}

const show = (x: unknown) => JSON.stringify(x, (_, v) => (typeof v === "bigint" ? `${v}n` : v));

function diff(a: string, b: string): string {
  const x = JSON.parse(a) as Record<string, unknown>;
  const y = JSON.parse(b) as Record<string, unknown>;
  return Object.keys(x)
    .filter((k) => JSON.stringify(x[k]) !== JSON.stringify(y[k]))
    .map((k) => `${k}: ${JSON.stringify(x[k])} -> ${JSON.stringify(y[k])}`)
    .join("; ");
}

export async function runStep(
  w: FuzzWorld,
  m: Model,
  step: AnyStep,
  stats: FuzzStats,
): Promise<void> {
  if (LOG) console.log(`step ${stats.steps}: ${show(step)}`);
  let calls: Call[] = [];
  if (step.kind === "time") advance(w, step.seconds);
  else if (
    step.kind === "timelockRole" ||
    step.kind === "directRole" ||
    step.kind === "rogue" ||
    step.kind === "timelockRogue"
  )
    calls = await planRoleStep(w, m, step, w.clock + 1);
  else {
    const c = await planStep(w, m, step, w.clock + 1);
    if (c) calls = [c];
  }
  const name = step.kind === "batch" ? `batch.${step.batch}` : step.kind;
  const k = (stats.kinds[name] ??= { accepted: 0, refused: 0 });
  for (const c of calls) {
    if (c.advance) advance(w, c.advance);
    const before = c.expected !== null ? digest(await observe(w, m)) : "";
    const sent = await send(w, c.who, c.contract, c.method, c.args, c.value ?? 0n);
    stats.calls += 1;
    if (LOG) console.log(`  ${sent.time} ${c.who} ${c.method}: ${sent.error ?? "ok"}`);
    if (sent.error !== c.expected)
      throw new InvariantBroken(
        `model: ${c.who} ${c.method} at ${sent.time}: expected ${c.expected ?? "success"}, got ${sent.error ?? "success"}`,
      );
    if (sent.error === null) {
      k.accepted += 1;
      c.onSuccess(sent.time);
      continue;
    }
    k.refused += 1;
    stats.refused += 1;
    stats.errors[sent.error] = (stats.errors[sent.error] ?? 0) + 1;
    const after = digest(await observe(w, m));
    if (after !== before)
      throw new InvariantBroken(
        `refusal: ${c.method} (${sent.error}) changed the state: ${diff(before, after)}`,
      );
  }
  const broken = violations(m, await observe(w, m));
  if (broken.length)
    throw new InvariantBroken(broken.map((v) => `${v.invariant}: ${v.message}`).join("\n"));
  stats.steps += 1;
}

interface Real {
  readonly w: FuzzWorld;
  readonly stats: FuzzStats;
}

class StepCommand implements fc.AsyncCommand<Model, Real> {
  constructor(readonly step: AnyStep) {}
  check(): boolean {
    return true;
  }
  run(m: Model, r: Real): Promise<void> {
    return runStep(r.w, m, this.step, r.stats);
  }
  toString(): string {
    return show(this.step);
  }
}

const actor: fc.Arbitrary<ActorName> = fc.constantFrom(...ACTORS);
const some = fc.bigInt(1n, 10n ** 12n);
const rare = fc.constantFrom(false, false, false, false, false, false, false, true);
const pick = fc.nat(1000);
const amount = fc.constantFrom(...AMOUNTS, "some", "some", "some", "some");
/** Mostly `a`, sometimes any actor. */
const mostly = (a: ActorName): fc.Arbitrary<ActorName> =>
  fc.oneof({ weight: 6, arbitrary: fc.constant(a) }, { weight: 1, arbitrary: actor });
const operatorMostly = mostly("operator");

const steps: fc.WeightedArbitrary<AnyStep>[] = [
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant("deposit" as const),
      who: fc.constantFrom(...DEPOSITORS),
      target: fc.constantFrom(
        "new" as const,
        "existing" as const,
        "existing" as const,
        "unknown" as const,
      ),
      amount,
      some,
      badKey: rare,
      pick,
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant("reclaim" as const),
      who: fc.option(actor, { freq: 5, nil: null }),
      pick,
      wrongAmount: rare,
    }),
  },
  {
    weight: 12,
    arbitrary: fc.record({
      kind: fc.constant("batch" as const),
      batch: fc.constantFrom(...BATCHES),
      fault: fc.oneof(
        { weight: 2, arbitrary: fc.constant(null) },
        { weight: 1, arbitrary: fc.constantFrom(...BATCH_FAULTS) },
      ),
      who: actor,
      count: fc.oneof(
        { weight: 4, arbitrary: fc.constant("fit" as const) },
        { weight: 1, arbitrary: fc.integer({ min: 0, max: 3 }) },
      ),
      shares: fc.array(fc.integer({ min: 0, max: 500 }), { minLength: 2, maxLength: 2 }),
      recipients: fc.array(actor, { minLength: 2, maxLength: 2 }),
      seed: fc.bigInt(2n, 1n << 250n),
    }),
  },
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant("round" as const),
      who: actor,
      variant: fc.constantFrom(...(["good", "good", "good", "good", "wrongId", "stale"] as const)),
      prices: fc.array(fc.bigInt(1n, 10n ** 9n), { minLength: 2, maxLength: 2 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("pause" as const),
      who: mostly("guardian"),
      duration: fc.constantFrom(0, 1, 60, 600, 3600, 259_200, 259_201),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("unpause" as const), who: actor }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("forced" as const),
      who: actor,
      account: fc.constantFrom(
        "trader" as const,
        "trader" as const,
        "trader" as const,
        "system" as const,
        "unopened" as const,
      ),
      amount,
      some,
      fee: fc.constantFrom(
        "right" as const,
        "right" as const,
        "right" as const,
        "none" as const,
        "double" as const,
      ),
      badSig: rare,
      pick,
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant("freeze" as const), who: actor, wait: fc.boolean() }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant("exit" as const),
      who: actor,
      account: fc.integer({ min: 1, max: 8 }),
      payout: fc.oneof(
        fc.constant(0n),
        fc.bigInt(1n, 10n ** 13n),
        fc.bigInt(10n ** 20n, 1n << 100n),
        fc.constant(1n << 128n),
      ),
      recipient: actor,
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("settleExit" as const),
      who: actor,
      account: fc.integer({ min: 1, max: 8 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("claim" as const),
      who: actor,
      for: fc.constantFrom("self" as const, "self" as const, "zero" as const, ...ACTORS),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("claimDelayed" as const),
      who: actor,
      pick,
      wait: fc.boolean(),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("refund" as const), who: actor, pick }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("collect" as const),
      who: operatorMostly,
      to: fc.constantFrom("zero" as const, ...ACTORS),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant("time" as const),
      seconds: fc.constantFrom(1, 30, 60, 200, 200, 700, 3600, 86_400, 2 * 86_400, 4 * 86_400),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("timelockRole" as const),
      proposer: mostly("owner"),
      role: fc.constantFrom(...ROLE_NAMES),
      grant: fc.boolean(),
      target: fc.constantFrom("timelock" as const, ...ACTORS),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("directRole" as const),
      who: actor,
      role: fc.constantFrom(...ROLE_NAMES),
      grant: fc.boolean(),
      target: actor,
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("rogue" as const),
      who: actor,
      call: fc.integer({ min: 0, max: ROGUE_CALLS - 1 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("timelockRogue" as const),
      call: fc.integer({ min: 0, max: TIMELOCK_ROGUE_CALLS - 1 }),
    }),
  },
];

/**
 * A start every sequence shares, with random amounts and roots: an oracle round, a first
 * deposit by each depositor and the operator's deposit batches crediting them, so that the
 * random steps after it find accounts with value in the tree.
 */
const warmUp: fc.Arbitrary<AnyStep[]> = fc
  .tuple(
    fc.array(fc.bigInt(1n, 10n ** 9n), { minLength: 2, maxLength: 2 }),
    fc.array(some, { minLength: 3, maxLength: 3 }),
    fc.array(fc.bigInt(2n, 1n << 250n), { minLength: 2, maxLength: 2 }),
  )
  .map(([prices, amounts, seeds]): AnyStep[] => [
    { kind: "round", who: "operator", variant: "good", prices },
    ...DEPOSITORS.map(
      (who, i): AnyStep => ({
        kind: "deposit",
        who,
        target: "new",
        amount: "some",
        some: amounts[i],
        badKey: false,
        pick: 0,
      }),
    ),
    ...seeds.map(
      (seed): AnyStep => ({
        kind: "batch",
        batch: "deposits",
        fault: null,
        who: "operator",
        count: "fit",
        shares: [0, 0],
        recipients: ["alice", "bob"],
        seed,
      }),
    ),
  ]);

/** The warm-up, then random sequences of up to `maxSteps` steps. */
export function stepSequences(maxSteps: number): fc.Arbitrary<fc.AsyncCommand<Model, Real>[]> {
  return fc
    .tuple(
      warmUp,
      fc.commands(
        [fc.oneof(...steps).map((s) => new StepCommand(s) as fc.AsyncCommand<Model, Real>)],
        { maxCommands: maxSteps, size: "max" },
      ),
    )
    .map(([start, cmds]) => [...start.map((s) => new StepCommand(s)), ...cmds]);
}

export type { Real as FuzzReal };
