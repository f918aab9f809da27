import assert from "node:assert/strict";
import type { FastifyInstance } from "fastify";
import {
  offerMessage,
  signOffer,
  type Offer,
  type SignedOffer,
} from "../../prover/src/domain/offer.ts";
import { sign } from "../../prover/src/domain/keys.ts";
import { deposit, postRound, type Participant, type World } from "../../prover/src/dev/onchain.ts";
import { Operator } from "../../prover/src/service/operator.ts";
import { buildApi } from "../../prover/src/service/api.ts";
import { startOperator, type OperatorRig } from "../helpers/operator.ts";

const MARKS = [60_000_00n, 3_000_00n];

describe("HTTP API: liquidators' offers", function () {
  let w: World;
  let liq: Participant;
  let other: Participant;
  let rig: OperatorRig;
  let op: Operator;
  let app: FastifyInstance;

  const signed = (who: Participant, o: Partial<Offer> = {}): SignedOffer =>
    signOffer(
      {
        account: who.account!,
        nonce: 1n,
        terms: [
          { maxSize: 5n, discountBps: 50n },
          { maxSize: 0n, discountBps: 0n },
        ],
        ...o,
      },
      who.keys.privateKey,
      w.markets.length,
      w.domain,
    );
  const body = (so: SignedOffer) =>
    JSON.parse(
      JSON.stringify({ ...so.offer, signature: so.signature }, (_k, v) =>
        typeof v === "bigint" ? v.toString() : v,
      ),
    ) as Record<string, unknown>;
  const post = (payload: unknown) =>
    app.inject({ method: "POST", url: "/v1/liquidator-offers", payload: payload as object });
  const list = async () =>
    (await app.inject({ method: "GET", url: "/v1/liquidator-offers" })).json().offers as {
      account: string;
      nonce: string;
      status: string;
    }[];
  const refused = async (payload: unknown, status: number, code: string) => {
    const before = JSON.stringify(await list());
    const r = await post(payload);
    assert.equal(r.statusCode, status, r.body);
    assert.equal(r.json().error, code, r.body);
    assert.equal(JSON.stringify(await list()), before, "a refusal stores nothing");
  };

  before(async function () {
    rig = await startOperator(2, "zkclear-offers-");
    ({ w, op } = rig);
    [liq, other] = w.participants;
    for (const p of w.participants) await deposit(w, p, 1_000_000_00n);
    await postRound(w, MARKS);
    await op.tick();
    app = buildApi(op);
  });

  after(async function () {
    await app.close();
    await rig.close();
  });

  it("acknowledges a signed offer after storing it, and lists the standing offers without signatures", async function () {
    const r = await post(body(signed(liq)));
    assert.equal(r.statusCode, 201, r.body);
    assert.equal(r.json().status, "standing");
    const offers = await list();
    assert.deepEqual(
      offers.map((o) => [o.account, o.nonce, o.status]),
      [[String(liq.account), "1", "standing"]],
    );
    assert.equal("signature" in offers[0], false);
    const one = await app.inject({ method: "GET", url: `/v1/liquidator-offers/${liq.account}` });
    assert.equal(one.json().nextNonce, "2");
    const none = await app.inject({ method: "GET", url: `/v1/liquidator-offers/${other.account}` });
    assert.equal(none.json().offer, null);
    assert.equal(none.json().nextNonce, "1");
  });

  it("refuses a bad signature, a stale nonce, an unknown or system account, a discount above the penalty, and malformed offers, each with its code", async function () {
    // signed by another key, or over another deployment's domain
    const forged = signed(liq, { nonce: 2n });
    await refused(
      body({ ...forged, signature: signed(other, { account: liq.account!, nonce: 2n }).signature }),
      400,
      "OFFER_BAD_SIGNATURE",
    );
    const otherDomain = signOffer(
      { ...forged.offer },
      liq.keys.privateKey,
      w.markets.length,
      w.domain + 1n,
    );
    await refused(body(otherDomain), 400, "OFFER_BAD_SIGNATURE");
    // a term changed after signing
    await refused(
      {
        ...body(forged),
        terms: [
          { maxSize: "6", discountBps: "50" },
          { maxSize: "0", discountBps: "0" },
        ],
      },
      400,
      "OFFER_BAD_SIGNATURE",
    );
    await refused(body(signed(liq, { nonce: 1n })), 409, "OFFER_NONCE_USED");
    await refused(body(signed(liq, { nonce: 0n })), 409, "OFFER_NONCE_USED");
    await refused(body(signed(liq, { account: 200n })), 404, "ACCOUNT_NOT_FOUND");
    // the insurance fund: signOffer refuses it, so sign the message directly
    const fund = { ...forged.offer, account: 2n };
    await refused(
      body({ offer: fund, signature: sign(liq.keys.privateKey, offerMessage(fund, w.domain)) }),
      400,
      "OFFER_SYSTEM_ACCOUNT",
    );
    await refused(
      body(
        signed(liq, {
          nonce: 2n,
          terms: [
            { maxSize: 1n, discountBps: 101n },
            { maxSize: 0n, discountBps: 0n },
          ],
        }),
      ),
      400,
      "OFFER_DISCOUNT_ABOVE_PENALTY",
    );
    // 1,000 lots at 60,000.00 need 6,000,000.00 of initial margin; it deposited 1,000,000.00
    const big = post(
      body(
        signed(liq, {
          nonce: 2n,
          terms: [
            { maxSize: 1000n, discountBps: 50n },
            { maxSize: 0n, discountBps: 0n },
          ],
        }),
      ),
    );
    const r = await big;
    assert.equal(r.statusCode, 400, r.body);
    assert.equal(r.json().error, "OFFER_NOT_BACKED");
    assert.match(r.json().message, /lacks 500000000 of equity/);
    await refused(
      { ...body(forged), terms: [{ maxSize: "1", discountBps: "1" }] },
      400,
      "OFFER_TERM_COUNT",
    );
    await refused({ ...body(forged), nonce: -1 }, 400, "BAD_REQUEST");
    await refused({ ...body(forged), extra: 1 }, 400, "BAD_REQUEST");
  });

  it("a higher nonce replaces the offer; an all-zero offer withdraws it; both survive a restart", async function () {
    const r = await post(
      body(
        signed(liq, {
          nonce: 3n,
          terms: [
            { maxSize: 2n, discountBps: 10n },
            { maxSize: 1n, discountBps: 20n },
          ],
        }),
      ),
    );
    assert.equal(r.statusCode, 201, r.body);
    assert.equal((await post(body(signed(other, { nonce: 4n })))).statusCode, 201);
    assert.deepEqual(
      (await list()).map((o) => [o.account, o.nonce]),
      [
        [String(liq.account), "3"],
        [String(other.account), "4"],
      ],
    );
    await app.close();
    op = rig.restart();
    await op.tick();
    app = buildApi(op);
    assert.deepEqual(
      (await list()).map((o) => [o.account, o.nonce]),
      [
        [String(liq.account), "3"],
        [String(other.account), "4"],
      ],
      "the acknowledged offers came back, in their order",
    );
    const zero = [
      { maxSize: 0n, discountBps: 0n },
      { maxSize: 0n, discountBps: 0n },
    ];
    const wd = await post(body(signed(liq, { nonce: 4n, terms: zero })));
    assert.equal(wd.statusCode, 201, wd.body);
    assert.equal(wd.json().status, "withdrawn");
    assert.deepEqual(
      (await list()).map((o) => o.account),
      [String(other.account)],
    );
    // the withdrawal's nonce still rules: the older offer cannot come back
    await refused(body(signed(liq, { nonce: 3n })), 409, "OFFER_NONCE_USED");
    const one = await app.inject({ method: "GET", url: `/v1/liquidator-offers/${liq.account}` });
    assert.equal(one.json().offer.status, "withdrawn");
    assert.equal(one.json().nextNonce, "5");
  });
});
