import type { SignedOffer } from "../domain/offer.ts";

/** A standing offer as the watcher sees it. */
export interface StandingOffer {
  readonly signed: SignedOffer;
  /** Acknowledgement order: lower is earlier (unique per offer). */
  readonly seq: number;
}

/** Which entries of a market a walk wants: the others are skipped without being read. */
export interface WalkFilter {
  /** Only terms with maxSize >= this (the |size| of the position to hand over). */
  readonly minSize?: bigint;
  /** Only terms with discountBps <= this (the market's liquidation penalty). */
  readonly maxDiscount?: bigint;
}

/**
 * The active offers as the watcher's rule walks them: per market, the offers with a term
 * in it, in the order of that term's rank.
 */
export interface RankedOffers {
  /**
   * The offers whose term `market` has maxSize > 0 (and within `filter`), by that term's
   * discountBps, then by seq (earliest first). Iterated lazily: a walk that stops early
   * costs what it read, and the entries the filter leaves out cost nothing per entry.
   */
  inMarket(market: number, filter?: WalkFilter): Iterable<StandingOffer>;
}

/**
 * A node of a market's tree: one offer's term in that market. The tree is a treap (a
 * binary search tree by (discount, seq), heap-ordered by a random priority, so its depth
 * is O(log n) expected whatever the order of insertions); each node also holds the largest
 * maxSize in its subtree, which lets a walk skip a whole subtree of terms too small.
 */
interface Node {
  readonly discount: bigint;
  readonly seq: number;
  readonly maxSize: bigint;
  readonly offer: StandingOffer;
  readonly priority: number;
  left: Node | undefined;
  right: Node | undefined;
  /** The largest maxSize in this subtree. */
  subMax: bigint;
}

type Key = { readonly discount: bigint; readonly seq: number };
const before = (a: Key, b: Key) =>
  a.discount !== b.discount ? a.discount < b.discount : a.seq < b.seq;

const fix = (n: Node): Node => {
  let m = n.maxSize;
  if (n.left && n.left.subMax > m) m = n.left.subMax;
  if (n.right && n.right.subMax > m) m = n.right.subMax;
  n.subMax = m;
  return n;
};

function insert(t: Node | undefined, n: Node): Node {
  if (!t) return n;
  if (before(n, t)) {
    t.left = insert(t.left, n);
    if (t.left.priority > t.priority) {
      const l = t.left;
      t.left = l.right;
      l.right = fix(t);
      return fix(l);
    }
  } else {
    t.right = insert(t.right, n);
    if (t.right.priority > t.priority) {
      const r = t.right;
      t.right = r.left;
      r.left = fix(t);
      return fix(r);
    }
  }
  return fix(t);
}

/** Joins two treaps, every key of `a` ranking before every key of `b`. */
function join(a: Node | undefined, b: Node | undefined): Node | undefined {
  if (!a) return b;
  if (!b) return a;
  if (a.priority > b.priority) {
    a.right = join(a.right, b);
    return fix(a);
  }
  b.left = join(a, b.left);
  return fix(b);
}

/** `t` without the node of `offer` at key `k` (unchanged if there is none). */
function remove(t: Node | undefined, k: Key, offer: StandingOffer): Node | undefined {
  if (!t) return undefined;
  if (t.seq === k.seq && t.discount === k.discount)
    return t.offer === offer ? join(t.left, t.right) : t;
  if (before(k, t)) t.left = remove(t.left, k, offer);
  else t.right = remove(t.right, k, offer);
  return fix(t);
}

/**
 * The offer book's index of active offers, one ranked tree per market keyed by
 * (discountBps of that market's term, seq), kept up to date one offer at a time (add,
 * remove) by the operator's offer book (./offer-book.ts). One offer per account: adding an
 * account's offer replaces the one indexed for it. Adding or removing an offer costs
 * O(log n) per market it offers (n: the entries of that market); a walk costs O(log n) per
 * entry it yields, however many entries its filter skips between two (`steps` counts the
 * nodes walks have visited, for tests and benchmarks).
 */
export class OfferIndex implements RankedOffers {
  private readonly roots: (Node | undefined)[];
  private readonly byAccount = new Map<bigint, StandingOffer>();
  /** Tree nodes visited by every walk so far (inMarket): the walks' cost, for tests. */
  steps = 0;

  constructor(markets: number) {
    this.roots = Array.from({ length: markets }, () => undefined);
  }

  /** An index of `offers` (a later offer of the same account replaces an earlier one). */
  static of(offers: Iterable<StandingOffer>, markets: number): OfferIndex {
    const ix = new OfferIndex(markets);
    for (const o of offers) ix.add(o);
    return ix;
  }

  /** How many offers are indexed. */
  get size(): number {
    return this.byAccount.size;
  }

  has(account: bigint): boolean {
    return this.byAccount.has(account);
  }

  /** Indexes `o` in every market its terms offer, in place of its account's indexed offer. */
  add(o: StandingOffer): void {
    this.remove(o.signed.offer.account);
    this.byAccount.set(o.signed.offer.account, o);
    o.signed.offer.terms.forEach((t, j) => {
      if (t.maxSize === 0n || j >= this.roots.length) return;
      const n: Node = {
        discount: t.discountBps,
        seq: o.seq,
        maxSize: t.maxSize,
        offer: o,
        priority: Math.random(),
        left: undefined,
        right: undefined,
        subMax: t.maxSize,
      };
      this.roots[j] = insert(this.roots[j], n);
    });
  }

  /** Takes `account`'s offer out of the index; whether one was indexed. */
  remove(account: bigint): boolean {
    const o = this.byAccount.get(account);
    if (!o) return false;
    this.byAccount.delete(account);
    o.signed.offer.terms.forEach((t, j) => {
      if (t.maxSize === 0n || j >= this.roots.length) return;
      this.roots[j] = remove(this.roots[j], { discount: t.discountBps, seq: o.seq }, o);
    });
    return true;
  }

  /**
   * An in-order walk that never enters a subtree whose largest maxSize is below
   * `minSize`: a node it visits and does not yield has an entry it will yield in its right
   * subtree, so between two yields it visits O(depth) nodes. It stops at the first entry
   * whose discount is above `maxDiscount` (every later one is too).
   */
  *inMarket(market: number, filter: WalkFilter = {}): Generator<StandingOffer> {
    const min = filter.minSize ?? 1n;
    const maxDiscount = filter.maxDiscount;
    const stack: Node[] = [];
    const descend = (n: Node | undefined) => {
      for (; n && n.subMax >= min; n = n.left) {
        this.steps++;
        stack.push(n);
      }
    };
    descend(this.roots[market]);
    for (let n = stack.pop(); n; n = stack.pop()) {
      if (maxDiscount !== undefined && n.discount > maxDiscount) return;
      if (n.maxSize >= min) yield n.offer;
      descend(n.right);
    }
  }
}
