import { createRequire } from "node:module";
import {
  MessageChannel,
  receiveMessageOnPort,
  Worker,
  type MessagePort,
} from "node:worker_threads";
import { SmtCheckerError, type Answer } from "./smtchecker.ts";

/**
 * z3 (the `z3-solver` npm package, WebAssembly, offline) answering whole SMT-LIB 2 scripts
 * synchronously, as solc's `smtSolver` callback must: z3-solver only offers
 * `Z3.eval_smtlib2_string` as a promise (it runs on its own threads), so z3 lives in a worker
 * thread and the caller blocks on a shared flag (`Atomics.wait`) until the worker posts the
 * answer, which it then takes with `receiveMessageOnPort`. Each query runs in a fresh
 * context with the Spacer parameters solc-js's own z3 driver (smtsolver.js) uses, and a
 * wall-clock limit: z3's `timeout`, a watchdog in the worker that interrupts z3 a second
 * after it, and, if the worker still does not answer, a new worker.
 */
const WORKER = `
const { workerData } = require("node:worker_threads");
const { port, flag, z3path, params } = workerData;
const signal = () => { Atomics.store(flag, 0, 1); Atomics.notify(flag, 0); };
require(z3path).init().then(({ Z3 }) => {
  for (const [k, v] of params) Z3.global_param_set(k, v);
  const v = Z3.get_version();
  port.postMessage({ version: v.major + "." + v.minor + "." + v.build_number });
  signal();
  port.on("message", async ({ query, timeoutMs }) => {
    const cfg = Z3.mk_config();
    Z3.set_param_value(cfg, "timeout", String(timeoutMs));
    const ctx = Z3.mk_context_rc(cfg);
    Z3.del_config(cfg);
    let interrupted = false;
    const watchdog = setTimeout(() => { interrupted = true; Z3.interrupt(ctx); }, timeoutMs + 1000);
    let output;
    try {
      output = await Z3.eval_smtlib2_string(ctx, query);
    } catch (e) {
      output = '(error "' + String(e).replace(/"/g, "'") + '")\\n';
    }
    clearTimeout(watchdog);
    Z3.del_context(ctx);
    port.postMessage({ output, interrupted });
    signal();
  });
});
`;

/** solc-js's parameters for z3 on the SMTChecker's queries (node_modules/solc/smtsolver.js). */
const SPACER_PARAMS: ReadonlyArray<[string, string]> = [
  ["rewriter.pull_cheap_ite", "true"],
  ["fp.spacer.q3.use_qgen", "true"],
  ["fp.spacer.mbqi", "false"],
  ["fp.spacer.ground_pobs", "false"],
];

/** How long past its own limit a query may take before its worker is replaced. */
const GRACE_MS = 10_000;

export class SmtLibZ3 {
  private worker!: Worker;
  private port!: MessagePort;
  private readonly flag = new Int32Array(new SharedArrayBuffer(4));
  private z3Version = "";

  private constructor() {
    this.start();
  }

  /** A z3 in a worker thread, ready to answer. */
  static create(): SmtLibZ3 {
    return new SmtLibZ3();
  }

  private start(): void {
    const { port1, port2 } = new MessageChannel();
    const z3path = createRequire(import.meta.url).resolve("z3-solver");
    Atomics.store(this.flag, 0, 0);
    this.worker = new Worker(WORKER, {
      eval: true,
      workerData: { port: port2, flag: this.flag, z3path, params: SPACER_PARAMS },
      transferList: [port2],
    });
    this.port = port1;
    this.worker.unref();
    Atomics.wait(this.flag, 0, 0, 120_000);
    const ready = receiveMessageOnPort(this.port)?.message as { version: string } | undefined;
    if (!ready)
      throw new SmtCheckerError(
        "SMT_SOLVER_START",
        "z3-solver did not start in a worker thread within 2 minutes",
      );
    this.z3Version = ready.version;
  }

  /** The z3 version (for the report). */
  version(): string {
    return this.z3Version;
  }

  /** An `Answer` with this wall-clock limit per query (ms). */
  answer(timeoutMs: number): Answer {
    return (query) => {
      Atomics.store(this.flag, 0, 0);
      this.port.postMessage({ query, timeoutMs });
      const t0 = Date.now();
      Atomics.wait(this.flag, 0, 0, timeoutMs + GRACE_MS);
      const got = receiveMessageOnPort(this.port)?.message as
        | { output: string; interrupted: boolean }
        | undefined;
      if (!got) {
        // the worker is stuck in z3: replace it, and call the query undecided
        void this.worker.terminate();
        this.start();
        return { output: "unknown\n", timedOut: true };
      }
      const undecided = !/^\s*(sat|unsat)\b/.test(got.output);
      return {
        output: got.output,
        timedOut: got.interrupted || (undecided && Date.now() - t0 >= timeoutMs),
      };
    };
  }

  /** Stops the worker (and z3's threads with it). */
  close(): Promise<number> {
    return this.worker.terminate();
  }
}
