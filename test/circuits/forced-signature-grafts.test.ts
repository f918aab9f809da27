import assert from "node:assert/strict";
import path from "node:path";
import { createRequire } from "node:module";
import { mulPoint, verifyEdDSAPoseidon } from "../../prover/src/domain/babyjub.ts";
import {
  forcedRequestMessage,
  signForcedRequest,
  type ForcedRequest,
} from "../../prover/src/domain/forced.ts";
import {
  answerForcedPublicSignals,
  type AnswerForcedInput,
} from "../../prover/src/domain/inputs.ts";
import { answerForced, type ForcedOutcome } from "../../prover/src/engine/forced.ts";
import { sampleExchange, type Sample } from "../../prover/src/dev/sample.ts";
import { CIRCUIT_SOURCES } from "../../prover/src/proving/paths.ts";
import { calculateWitness } from "../../prover/src/proving/prover.ts";
import {
  readR1cs,
  readSymbols,
  unsatisfiedConstraints,
  type R1cs,
} from "../../prover/src/proving/r1cs.ts";
import {
  editWitness,
  statementLine,
  TEST_PARAMS,
  testCircuit,
  witnessFor,
  type WireEdit,
} from "../helpers/circuit.ts";
import { compileProbeO0 } from "../helpers/probe-o0.ts";

// Whether a forced withdrawal request is paid or answered "bad signature" is the verdict of
// EdDSAPoseidonValid (circuits/src/answer-forced.circom): S·B8 == R8 + h·8A. The witness
// calculator computes every signal of it honestly, so no input and no test of outcomes can
// tell a link of the verdict (`<==`) from a mere assignment (`<--`). With a link freed, the
// prover may write another value there and carry the consequences through the verdict:
//   - a 0 in a coordinate of A, 2A, 4A or 8A, or in the challenge's bits, makes h·8A the
//     identity (circomlib's EscalarMulAny swaps a point with x = 0 for a constant and outputs
//     (0, 1)), so the verdict reads S·B8 == R8: anyone can queue a request on any account
//     with (R8, S) = (S0·B8, S0), which no key signed, and have it paid (theft);
//   - S's bits for S + 1, a negated coordinate in R8 + h·8A, or zeros into S·B8 make the
//     owner's good request "badly signed": answered without payment, and the queue moves
//     past it without the exchange freezing (censorship).
// Each test below builds that witness of the full AnswerForced circuit: the verdict's wires
// from a probe of EdDSAPoseidonValid (compiled at --O0 so every signal keeps its name) in
// which the link's text is replaced by the alternative value (equal length, so anonymous
// components keep their names, which carry a file offset), and the verdict's consumers
// (payout, outcome, the leaf and the roots) from the engine's witness with the other
// outcome. The R1CS must refuse it; the circuit with that link freed accepts it
// (npm run mutate:circuits -- --tests <this file> --id answer-forced.circom:<line>:unconstrain).

const P = TEST_PARAMS;
const FILE = "answer-forced.circom";
const RECIPIENT = 0x70997970c51812dc3a010c7d01b50e20e4f6ad88n;
const AMOUNT = 1_000n;
/** The forged signature's scalar: (S0·B8, S0) is on the curve, in the subgroup, and S0 < l. */
const S0 = 12345n;
const VERDICT = "main.answer[0].verdict.";
const PROBE_INPUTS = ["Ax", "Ay", "R8x", "R8y", "S", "M"] as const;

const bj = createRequire(import.meta.url)("@zk-kit/baby-jubjub") as {
  Base8: [bigint, bigint];
};

type Use = "theft" | "censorship";

/** A link of EdDSAPoseidonValid, and the alternative value a probe writes through it. */
interface Link {
  /** The statement of answer-forced.circom, as the file reads (trimmed). */
  readonly statement: string;
  /** The link within it (`<==` and both sides), and its replacement (equal length). */
  readonly from: string;
  readonly to: string;
  /** What the replacement writes through the link, for the title. */
  readonly what: string;
  readonly use: Use;
}

/**
 * [statement, the link in it ("": all of it), its replacement, what the replacement writes,
 * use]; the uses are those of the outside analysis of the mutants (the 0 of the theft
 * links makes h·8A the identity; the others change the verdict's equation).
 */
const LINKS: readonly Link[] = (
  [
    ["sBits.in <== S;", "", "sBits.in<==S+1;", "the bits of S + 1 for those of S", "censorship"],
    ["hBits.in <== h;", "", "hBits.in <== 0;", "zero bits for those of h", "theft"],
    ["dbl1.x <== Ax;", "", "dbl1.x <== 0 ;", "0 for the key's x in 2A", "theft"],
    ["dbl1.y <== Ay;", "", "dbl1.y <== 0 ;", "0 for the key's y in 2A", "theft"],
    ["dbl2.x <== dbl1.xout;", "", "dbl2.x <== 0        ;", "0 for the x of 2A in 4A", "theft"],
    ["dbl2.y <== dbl1.yout;", "", "dbl2.y <== 0        ;", "0 for the y of 2A in 4A", "theft"],
    ["dbl3.x <== dbl2.xout;", "", "dbl3.x <== 0        ;", "0 for the x of 4A in 8A", "theft"],
    ["dbl3.y <== dbl2.yout;", "", "dbl3.y <== 0        ;", "0 for the y of 4A in 8A", "theft"],
    [
      "for (var i = 0; i < 254; i++) mulAny.e[i] <== hBits.out[i];",
      "mulAny.e[i] <== hBits.out[i];",
      "mulAny.e[i] <== 0           ;",
      "zero bits for those of h in h·8A",
      "theft",
    ],
    ["mulAny.p[0] <== dbl3.xout;", "", "mulAny.p[0] <== 0        ;", "0 for the x of 8A", "theft"],
    [
      "mulAny.p[1] <== dbl3.yout;",
      "",
      "mulAny.p[1] <==-dbl3.yout;",
      "-y for the y of 8A",
      "censorship",
    ],
    ["right.x1 <== R8x;", "", "right.x1 <==-R8x;", "-x for the x of R8 in R8 + h·8A", "censorship"],
    ["right.y1 <== R8y;", "", "right.y1 <==-R8y;", "-y for the y of R8 in R8 + h·8A", "censorship"],
    [
      "right.x2 <== mulAny.out[0];",
      "",
      "right.x2 <==-mulAny.out[0];",
      "-x for the x of h·8A in R8 + h·8A",
      "censorship",
    ],
    [
      "right.y2 <== mulAny.out[1];",
      "",
      "right.y2 <==-mulAny.out[1];",
      "-y for the y of h·8A in R8 + h·8A",
      "censorship",
    ],
    [
      "for (var i = 0; i < 253; i++) left.e[i] <== sBits.out[i];",
      "left.e[i] <== sBits.out[i];",
      "left.e[i] <== 0           ;",
      "zero bits for those of S in S·B8",
      "censorship",
    ],
    // the verdict bit itself (no probe is needed, but the same graft serves)
    ["valid <== eqX * eqY;", "", "valid <== 1        ;", "1 for the verdict eqX·eqY", "theft"],
  ] as const
).map(([statement, from, to, what, use]) => ({
  statement,
  from: from || statement,
  to,
  what,
  use,
}));

/**
 * answer-forced.circom of the sources under test (a mutant's, when the tests run against
 * one) with `link` replaced: the statement is found on the line where the repository's own
 * file has it, as the original or as the mutant that makes this link `<--`.
 */
function rewriteLink(link: Link): (file: string, text: string) => string {
  return (file, text) => {
    if (file !== FILE) return text;
    assert.equal(link.to.length, link.from.length, `${link.to}: the same length as the link`);
    const n = statementLine(FILE, link.statement) - 1;
    const lines = text.split("\n");
    const freed = link.from.replace("<==", "<--");
    const line = lines[n];
    const at = line.trim() === link.statement ? line.indexOf(link.from) : line.indexOf(freed);
    assert.ok(
      at >= 0 && [link.statement, link.statement.replace(link.from, freed)].includes(line.trim()),
      `line ${n + 1} of ${path.join(CIRCUIT_SOURCES, FILE)} is the link: ${line}`,
    );
    lines[n] = line.slice(0, at) + link.to + line.slice(at + link.to.length);
    return lines.join("\n");
  };
}

const probeName = (link?: Link) =>
  link ? `eddsa_valid_o0_${statementLine(FILE, link.statement)}` : "eddsa_valid_o0";

/** The probe of EdDSAPoseidonValid (with `link` replaced), compiled at --O0. */
async function probeOf(link?: Link) {
  const build = await compileProbeO0(probeName(link), FILE, "EdDSAPoseidonValid()", {
    publicInputs: PROBE_INPUTS,
    rewrite: link ? rewriteLink(link) : undefined,
  });
  return { ...build, names: readSymbols(build.sym) };
}

interface Answered {
  readonly input: AnswerForcedInput;
  readonly outcome: ForcedOutcome;
  readonly witness: bigint[];
  /** The verdict's inputs, as the slot feeds them (the twins': the leaf's key, the message). */
  readonly verdictInput: Record<(typeof PROBE_INPUTS)[number], bigint>;
}

/** Trader 0's request of AMOUNT to RECIPIENT on a fresh sample, answered in one batch. */
async function answered(signature: (s: Sample, r: ForcedRequest) => ForcedRequest) {
  const s = sampleExchange(P, 3);
  const t = s.traders[0];
  const nonce = s.state.getAccount(t.index).withdrawNonce;
  const fields = { account: t.index, amount: AMOUNT, recipient: RECIPIENT };
  const req = signature(s, signForcedRequest(fields, nonce, t.keys.privateKey, s.domain));
  const r = answerForced(s.state, [req], 5n, s.marks, P.withdrawals);
  const slot = r.input.slots[0];
  const m = forcedRequestMessage(fields, nonce, s.domain);
  const key = { x: slot.leafAx, y: slot.leafAy };
  assert.equal(
    verifyEdDSAPoseidon(m, req.signature, key),
    r.outcomes[0] === "paid",
    "the twin's verdict",
  );
  return {
    input: r.input,
    outcome: r.outcomes[0],
    witness: await witnessFor({ kind: "answer_forced", input: r.input }),
    verdictInput: {
      Ax: key.x,
      Ay: key.y,
      R8x: slot.sigR8x,
      R8y: slot.sigR8y,
      S: slot.sigS,
      M: m,
    },
  } satisfies Answered;
}

describe("AnswerForced: the signature verdict's links (witnesses grafted from a probe at the R1CS level)", function () {
  let r1cs: R1cs;
  let sym: Map<string, number>;
  /** Wire -> its name in the full build. */
  let nameOf: Map<number, string>;
  /** The verdict's wires in the full build. */
  let verdictWires: Set<number>;
  /** Paid: trader 0's request, signed by trader 0. */
  let good: Answered;
  /** Bad signature: the same request signed by trader 2's key. */
  let otherKey: Answered;
  /** Bad signature: the same request with (S0·B8, S0), which no key signed. */
  let unsigned: Answered;
  const use = (u: Use) =>
    u === "theft" ? { base: unsigned, flip: good } : { base: good, flip: otherKey };

  before(async function () {
    const files = await testCircuit("answer_forced");
    r1cs = readR1cs(files.r1cs);
    sym = readSymbols(files.sym);
    nameOf = new Map([...sym].filter(([, w]) => w > 0).map(([n, w]) => [w, n]));
    verdictWires = new Set(
      [...sym].filter(([n, w]) => w > 0 && n.startsWith(VERDICT)).map(([, w]) => w),
    );
    good = await answered((_, r) => r);
    otherKey = await answered((s, r) =>
      signForcedRequest(
        r,
        s.state.getAccount(r.account).withdrawNonce,
        s.traders[2].keys.privateKey,
        s.domain,
      ),
    );
    unsigned = await answered((_, r) => {
      const [r8x, r8y] = mulPoint(bj.Base8, S0);
      return { ...r, signature: { r8x, r8y, s: S0 } };
    });
    assert.deepEqual(
      [good.outcome, otherKey.outcome, unsigned.outcome],
      ["paid", "bad_signature", "bad_signature"],
    );
  });

  /** Where the slot's answer reads its queue entry: the signature, its hash, the queue chain. */
  const line = (statement: string) => statementLine(FILE, statement);
  const entrySide = () => {
    const hashes = [
      line("signal sigHash <== SparsePoseidon(3)([sigR8x, sigR8y, sigS]);"),
      line("signal entry <== SparsePoseidon(4)([queueIn, account, packedPayout, sigHash]);"),
    ].join("|");
    return new RegExp(
      `^main\\.((sigR8x|sigR8y|sigS)\\[0\\]|queue\\[\\d+\\]|queueTo|answer\\[\\d+\\]\\.(sigR8x|sigR8y|sigS|sigHash|entry|queueIn|queueOut|SparsePoseidon_(${hashes})_\\d+\\..*))$`,
    );
  };
  /** What the verdict decides: the slot's outcome and payout, its leaf and path, the roots. */
  const CONSUMERS =
    /^main\.(answer\[\d+\]\.(valid|sigOk|paidCore|paid|outcome|payout|newLeaf|rootIn|rootOut)|answer\[0\]\.update\..*|answerRoot\[\d+\]|newRoot|outcomes|payout\[\d+\])$/;

  /**
   * `base` with the verdict's wires from the probe's witness (main.<x> of the probe is
   * main.answer[0].verdict.<x> of the full build) and the consumers from `flip`.
   */
  function graft(
    base: Answered,
    flip: Answered,
    probe: { names: Map<string, number> },
    probeWitness: readonly bigint[],
  ) {
    // the two answers differ only in the verdict, its consumers and the queue entry
    const entry = entrySide();
    const other = [...nameOf].filter(
      ([w, n]) =>
        base.witness[w] !== flip.witness[w] &&
        !verdictWires.has(w) &&
        !CONSUMERS.test(n) &&
        !entry.test(n),
    );
    assert.deepEqual(
      other.map(([, n]) => n),
      [],
      "wires that are neither verdict, consumer nor entry",
    );
    const edits: WireEdit[] = [];
    const covered = new Set<number>();
    for (const [name, i] of probe.names) {
      if (i <= 0 || !name.startsWith("main.")) continue;
      const full = `${VERDICT}${name.slice("main.".length)}`;
      edits.push([full, "set", probeWitness[i]]);
      const w = sym.get(full);
      if (w !== undefined && w > 0) covered.add(w);
    }
    // every wire of the full build's verdict gets the probe's value
    const uncovered = [...verdictWires].filter((w) => !covered.has(w)).map((w) => nameOf.get(w));
    assert.deepEqual(uncovered, [], "verdict wires the probe does not name");
    for (const [name, w] of sym)
      if (w > 0 && CONSUMERS.test(name)) edits.push([name, "set", flip.witness[w]]);
    return editWitness(base.witness, sym, edits);
  }

  const probeWitness = (probe: { wasm: string }, x: Answered) =>
    calculateWitness(
      probe.wasm,
      Object.fromEntries(PROBE_INPUTS.map((k) => [k, x.verdictInput[k].toString()])),
    );

  it("grafts the unmodified probe onto each answer as the identity (the harness's sanity check)", async function () {
    const probe = await probeOf();
    for (const x of [good, otherKey, unsigned]) {
      const pw = await probeWitness(probe, x);
      assert.equal(pw[probe.names.get("main.valid")!], x.outcome === "paid" ? 1n : 0n);
      const same = graft(x, x, probe, pw);
      assert.deepEqual(same, x.witness, `${x.outcome}: the probe reproduces the verdict's wires`);
    }
    assert.ok(verdictWires.size > 1000, `${verdictWires.size} verdict wires`);
  });

  for (const link of LINKS) {
    const n = statementLine(FILE, link.statement);
    const title =
      link.use === "theft"
        ? `refuses paying a request no key signed through a freed link: ${link.what} (line ${n}, ${link.from})`
        : `refuses calling the owner's good request badly signed through a freed link: ${link.what} (line ${n}, ${link.from})`;
    it(title, async function () {
      const { base, flip } = use(link.use);
      const probe = await probeOf(link);
      const pw = await probeWitness(probe, base);
      // the alternative value flips the verdict: the link is all that stands in the way
      assert.equal(pw[probe.names.get("main.valid")!], flip.outcome === "paid" ? 1n : 0n);
      assert.deepEqual(unsatisfiedConstraints(r1cs, base.witness), [], "the honest answer");
      const forged = graft(base, flip, probe, pw);
      // it proves the other outcome for the base's queue entry: the flip's payout and root
      const pub = answerForcedPublicSignals({
        ...base.input,
        newRoot: flip.input.newRoot,
        outcomes: flip.input.outcomes,
        payout: flip.input.payout,
      });
      assert.deepEqual(forged.slice(1, 1 + pub.length), pub);
      const broken = unsatisfiedConstraints(r1cs, forged);
      // what breaks is in the verdict (the link), not in how its consumers were grafted
      for (const c of broken) {
        const reads = r1cs.constraints[c].flat().some(([w]) => verdictWires.has(w));
        assert.ok(reads, `constraint ${c} reads no verdict wire`);
      }
      assert.ok(broken.length > 0, `${link.what} (line ${n}) must break a constraint`);
    });
  }
});
