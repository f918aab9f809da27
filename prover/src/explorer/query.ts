import { sign } from "../domain/keys.ts";
import { accountQueryMessage } from "../domain/messages.ts";
import type { SignedAccountQuery } from "./source.ts";

/**
 * A signed account query: the key holder's signature over accountQueryMessage(account,
 * timestamp, domain), what `zkclear account --print-query` prints and the explorer's account
 * view takes (valid QUERY_WINDOW seconds around its timestamp).
 */
export function signAccountQuery(
  privateKey: Uint8Array,
  account: bigint,
  timestamp: bigint,
  domain: bigint,
): SignedAccountQuery {
  const sig = sign(privateKey, accountQueryMessage(account, timestamp, domain));
  return { account, timestamp, r8x: sig.r8x, r8y: sig.r8y, s: sig.s };
}

/** The query as the page takes it: one line of JSON, every number a decimal string. */
export function accountQueryJson(q: SignedAccountQuery): string {
  return JSON.stringify({
    account: q.account.toString(),
    timestamp: q.timestamp.toString(),
    r8x: q.r8x.toString(),
    r8y: q.r8y.toString(),
    s: q.s.toString(),
  });
}
