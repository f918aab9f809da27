import {
  orderMessage,
  recordOrderVerdict,
  validateOrder,
  type SignedOrder,
} from "../domain/order.ts";
import type { PublicKey } from "../domain/account.ts";
import { SignatureBatcher } from "../proving/signatures.ts";
import { OperatorError, type OrderAck } from "./context.ts";

/** How much the intake holds at once (defaults: {@link INTAKE_LIMITS}). */
export interface IntakeLimits {
  /** Orders taken and not yet answered; past it, POST /v1/orders answers 503 INTAKE_BUSY. */
  readonly maxInFlight: number;
  /** Orders sequenced under one store transaction; the event loop runs between groups. */
  readonly maxGroup: number;
}

export const INTAKE_LIMITS: IntakeLimits = { maxInFlight: 4096, maxGroup: 512 };

/** What the intake needs of the operator. */
export interface IntakeTarget {
  readonly state: {
    readonly domain: bigint;
    readonly marketCount: number;
    hasAccount(index: bigint): boolean;
    getAccount(index: bigint): { readonly pubKey: PublicKey };
  };
  submitOrders(orders: readonly SignedOrder[]): {
    outcomes: ({ ack: OrderAck } | { error: unknown })[];
    durable: Promise<void>;
  };
}

interface Waiting {
  readonly so: SignedOrder;
  /** Its signature check is done (or there was none to make before sequencing). */
  ready: boolean;
  readonly resolve: (ack: OrderAck) => void;
  readonly reject: (e: unknown) => void;
}

/**
 * The API's order intake (POST /v1/orders), at exchange speed:
 * - each order's signature is checked as it arrives, in batches off the event loop
 *   (proving/signatures.ts: the native verifier on libuv's threads), and the verdict is
 *   recorded on the order (domain/order.ts recordOrderVerdict) for the sequencer to read;
 * - at most `maxInFlight` orders are taken and not yet answered; another is refused at once
 *   (INTAKE_BUSY, 503), so a flood holds a bounded line and a bounded signature queue;
 * - orders are sequenced strictly in arrival order: a prefix of the line whose checks are
 *   done, at most `maxGroup` orders, goes to the sequencer as one group (Sequencer.submitOrders), under one store
 *   transaction, so one fsync makes the whole group durable (group commit, Store.commitGroup:
 *   the fsync runs on libuv's threads, so the next group is sequenced meanwhile);
 * - an order's answer, ack or refusal, is given only once its group is on disk: a crash
 *   loses only orders that were never acknowledged. If the fsync fails after the commit, an
 *   order the sequencer took is answered ORDER_OUTCOME_UNKNOWN with its id, account, market
 *   and nonce (it is committed, and may be there after a restart: look it up).
 * The sequencer makes every other check in the same order as before, so a refusal carries
 * the same code as through Operator.submitOrder.
 */
export class Intake {
  private readonly line: Waiting[] = [];
  private scheduled = false;
  /** Orders taken and not yet answered. */
  private inFlight = 0;
  private readonly limits: IntakeLimits;

  constructor(
    private readonly target: IntakeTarget,
    private readonly signatures = new SignatureBatcher(),
    limits: Partial<IntakeLimits> = {},
  ) {
    this.limits = { ...INTAKE_LIMITS, ...limits };
    for (const [k, v] of Object.entries(this.limits))
      if (!Number.isSafeInteger(v) || v < 1)
        throw new OperatorError(
          "VALUE_OUT_OF_RANGE",
          `intake ${k} must be a positive integer, not ${v}`,
        );
  }

  /** Orders taken and not yet answered. */
  get pending(): number {
    return this.inFlight;
  }

  submit(so: SignedOrder): Promise<OrderAck> {
    if (this.inFlight >= this.limits.maxInFlight)
      return Promise.reject(
        new OperatorError(
          "INTAKE_BUSY",
          `the intake holds ${this.inFlight} orders not yet answered (its limit); retry shortly`,
        ),
      );
    this.inFlight++;
    return new Promise<OrderAck>((res, rej) => {
      const resolve = (ack: OrderAck) => (this.inFlight--, res(ack));
      const reject = (e: unknown) => (this.inFlight--, rej(e));
      const w: Waiting = { so, ready: false, resolve, reject };
      this.line.push(w);
      const { state } = this.target;
      const account = so.order.account;
      // no account yet: the sequencer refuses it (ACCOUNT_NOT_FOUND) before any signature
      // check; an order that would not fit the message is refused by its range checks
      if (!state.hasAccount(account) || !fitsMessage(so, state.marketCount)) return this.ready(w);
      const pubKey = state.getAccount(account).pubKey;
      const domain = state.domain;
      this.signatures
        .check({ pubKey, signature: so.signature, message: orderMessage(so.order), domain })
        .then(
          (ok) => recordOrderVerdict(so, pubKey, domain, ok),
          () => {}, // not recorded: the sequencer checks it itself
        )
        .finally(() => this.ready(w));
    });
  }

  private ready(w: Waiting): void {
    w.ready = true;
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.drain());
  }

  /**
   * Sequences the ready prefix of the line, at most `maxGroup` orders, as one group; answers
   * each order once it is durable. A longer prefix is left for the next turn of the loop.
   */
  private drain(): void {
    this.scheduled = false;
    let n = 0;
    while (n < this.line.length && n < this.limits.maxGroup && this.line[n]!.ready) n++;
    if (n === 0) return;
    const group = this.line.splice(0, n);
    if (this.line[0]?.ready) {
      this.scheduled = true;
      setImmediate(() => this.drain());
    }
    let done: ReturnType<IntakeTarget["submitOrders"]>;
    try {
      done = this.target.submitOrders(group.map((w) => w.so));
    } catch (e) {
      done = { outcomes: group.map(() => ({ error: e })), durable: Promise.resolve() };
    }
    const answer = (failure: { cause: unknown } | null) =>
      group.forEach((w, i) => {
        const o = done.outcomes[i]!;
        if (!("ack" in o)) w.reject(o.error);
        else if (failure === null) w.resolve(o.ack);
        else w.reject(outcomeUnknown(w.so, o.ack, failure.cause));
      });
    // the next group is sequenced while this one's fsync runs; its answers wait for it
    done.durable.then(
      () => answer(null),
      // the store rejects `durable` with STORE_NOT_DURABLE, naming the log and the cause
      (cause: unknown) => answer({ cause }),
    );
  }
}

/**
 * The answer to an order the sequencer took whose group was committed but not synced: it may
 * trade after a restart, so the client must look it up rather than send it again blindly.
 */
function outcomeUnknown(so: SignedOrder, ack: OrderAck, cause: unknown): OperatorError {
  const o = so.order;
  return new OperatorError(
    "ORDER_OUTCOME_UNKNOWN",
    `order ${ack.id} (account ${o.account}, market ${o.market}, nonce ${o.nonce}) was committed ` +
      `but the disk refused to sync it (${String(cause)}): it may stand after a restart; look it ` +
      `up (GET /v1/orders/${ack.id}) before signing it again with a higher nonce`,
    { cause },
  );
}

/** Whether the order passes its range checks (the sequencer refuses it with their code). */
function fitsMessage(so: SignedOrder, markets: number): boolean {
  try {
    validateOrder(so.order, markets);
    return true;
  } catch {
    return false;
  }
}
