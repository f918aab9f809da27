import {
  orderMessage,
  recordOrderVerdict,
  validateOrder,
  type SignedOrder,
} from "../domain/order.ts";
import type { PublicKey } from "../domain/account.ts";
import { SignatureBatcher } from "../proving/signatures.ts";
import type { OrderAck } from "./context.ts";

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
 * - orders are sequenced strictly in arrival order: a prefix of the line whose checks are
 *   done goes to the sequencer as one group (Sequencer.submitOrders), under one store
 *   transaction, so one fsync makes the whole group durable (group commit, Store.commitGroup:
 *   the fsync runs on libuv's threads, so the next group is sequenced meanwhile);
 * - an order's answer, ack or refusal, is given only once its group is on disk: a crash
 *   loses only orders that were never acknowledged.
 * The sequencer makes every other check in the same order as before, so a refusal carries
 * the same code as through Operator.submitOrder.
 */
export class Intake {
  private readonly line: Waiting[] = [];
  private scheduled = false;

  constructor(
    private readonly target: IntakeTarget,
    private readonly signatures = new SignatureBatcher(),
  ) {}

  submit(so: SignedOrder): Promise<OrderAck> {
    return new Promise<OrderAck>((resolve, reject) => {
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

  /** Sequences the ready prefix of the line as one group; answers each order once it is durable. */
  private drain(): void {
    this.scheduled = false;
    let n = 0;
    while (n < this.line.length && this.line[n]!.ready) n++;
    if (n === 0) return;
    const group = this.line.splice(0, n);
    let done: ReturnType<IntakeTarget["submitOrders"]>;
    try {
      done = this.target.submitOrders(group.map((w) => w.so));
    } catch (e) {
      done = { outcomes: group.map(() => ({ error: e })), durable: Promise.resolve() };
    }
    const answer = (failure?: unknown) =>
      group.forEach((w, i) => {
        const o = done.outcomes[i]!;
        if (failure !== undefined) w.reject(failure);
        else if ("ack" in o) w.resolve(o.ack);
        else w.reject(o.error);
      });
    // the next group is sequenced while this one's fsync runs; its answers wait for it
    done.durable.then(() => answer(), answer);
  }
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
