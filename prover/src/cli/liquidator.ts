import type { Command } from "commander";
import type { MarketParams } from "../domain/market.ts";
import { signOffer, type OfferTerm } from "../domain/offer.ts";
import {
  api,
  bigintArg,
  CliError,
  deployment,
  DEFAULT_DEPLOYMENT,
  loadKey,
  print,
  type Output,
} from "./common.ts";

const collect = (v: string, all: string[]) => [...all, v];

/**
 * `--market <name>:<maxSize>:<discountBps>` options as one term per market (a market not
 * named offers nothing: maxSize 0). The name is the market's symbol (any case) or index.
 */
export function parseTerms(
  specs: readonly string[],
  markets: readonly MarketParams[],
): OfferTerm[] {
  const terms: OfferTerm[] = markets.map(() => ({ maxSize: 0n, discountBps: 0n }));
  const seen = new Set<number>();
  for (const spec of specs) {
    const parts = spec.split(":");
    if (parts.length !== 3)
      throw new CliError(
        "BAD_ARGUMENT",
        `--market ${spec}: write <market>:<maxSize>:<discountBps>, for example ${markets[0].symbol}:2:50`,
      );
    const [name, size, discount] = parts;
    const j = /^[0-9]+$/.test(name)
      ? Number(name)
      : markets.findIndex((m) => m.symbol.toLowerCase() === name.toLowerCase());
    if (j < 0 || j >= markets.length)
      throw new CliError(
        "BAD_ARGUMENT",
        `--market ${spec}: no market ${name}; this deployment has ${markets.map((m, i) => `${i} ${m.symbol}`).join(", ")}`,
      );
    if (seen.has(j))
      throw new CliError("BAD_ARGUMENT", `--market names ${markets[j].symbol} twice`);
    seen.add(j);
    terms[j] = {
      maxSize: bigintArg("market maxSize", size),
      discountBps: bigintArg("market discountBps", discount),
    };
  }
  return terms;
}

/** The nonce to sign with: --nonce, or the next one the operator reports for the account. */
async function nextNonce(
  base: string,
  account: bigint,
  given: string | undefined,
): Promise<bigint> {
  if (given !== undefined) return bigintArg("nonce", given);
  const r = await api(base, "GET", `/v1/liquidator-offers/${account}`);
  return BigInt(String(r.nextNonce));
}

const fmtTerms = (
  terms: readonly { maxSize: unknown; discountBps: unknown }[],
  markets: readonly MarketParams[],
) =>
  terms
    .map((t, j) => ({ t, j }))
    .filter(({ t }) => String(t.maxSize) !== "0")
    .map(
      ({ t, j }) =>
        `${markets[j]?.symbol ?? `market ${j}`} up to ${t.maxSize} lots at ${t.discountBps} bps`,
    )
    .join("; ") || "nothing";

export function register(program: Command, out: () => Output): void {
  const liq = program
    .command("liquidator")
    .description("standing offers to take over liquidated positions for a share of the penalty");

  const signAndPost = async (
    o: Record<string, string>,
    terms: (markets: readonly MarketParams[]) => OfferTerm[],
  ) => {
    const d = deployment(o.deployment);
    const account = bigintArg("account", o.account);
    const keys = loadKey(o.key, o.passphrase);
    const nonce = await nextNonce(o.api, account, o.nonce);
    const so = signOffer(
      { account, nonce, terms: terms(d.markets) },
      keys.privateKey,
      d.paramSet.markets,
      d.domain,
    );
    const r = await api(o.api, "POST", "/v1/liquidator-offers", {
      ...so.offer,
      signature: so.signature,
    });
    print(
      out(),
      r,
      r.status === "withdrawn"
        ? `account ${account}: offer withdrawn (nonce ${nonce})`
        : `account ${account}: offer ${nonce} standing: ${fmtTerms(so.offer.terms, d.markets)}`,
    );
  };

  const common = (c: Command) =>
    c
      .requiredOption("--account <n>", "your account index")
      .requiredOption("--key <file>", "keystore")
      .option(
        "--nonce <n>",
        "offer nonce, above your last one (default: the next one the operator reports)",
      )
      .option(
        "--deployment <file>",
        "deployment file (npm run deploy writes it)",
        DEFAULT_DEPLOYMENT,
      )
      .option("--passphrase <p>", "passphrase (or ZKCLEAR_PASSPHRASE)")
      .option("--api <url>", "operator API", "http://127.0.0.1:8080");

  common(
    liq
      .command("offer")
      .description(
        "sign a standing offer and post it: it replaces your previous one; markets not named offer nothing",
      )
      .option(
        "--market <market:maxSize:discountBps>",
        "take positions of up to maxSize lots in this market (symbol or index), paid discountBps of their value at the mark (at most the market's liquidation penalty); repeat per market",
        collect,
        [],
      ),
  ).action(async (o: Record<string, string> & { market: string[] }) => {
    if (o.market.length === 0)
      throw new CliError(
        "BAD_ARGUMENT",
        "name at least one --market <market>:<maxSize>:<discountBps> (to withdraw: zkclear liquidator withdraw)",
      );
    await signAndPost(o, (markets) => {
      const terms = parseTerms(o.market, markets);
      if (terms.every((t) => t.maxSize === 0n))
        throw new CliError(
          "BAD_ARGUMENT",
          "every maxSize is 0, which withdraws the offer: use zkclear liquidator withdraw",
        );
      return terms;
    });
  });

  common(
    liq
      .command("withdraw")
      .description("withdraw your standing offer (signs an offer of nothing with the next nonce)"),
  ).action(async (o: Record<string, string>) => {
    await signAndPost(o, (markets) => markets.map(() => ({ maxSize: 0n, discountBps: 0n })));
  });

  liq
    .command("show")
    .description("the operator's standing offers (public), or one account's latest")
    .option("--account <n>", "one liquidator's latest offer (standing or withdrawn) and next nonce")
    .option("--deployment <file>", "deployment file, for market names", DEFAULT_DEPLOYMENT)
    .option("--api <url>", "operator API", "http://127.0.0.1:8080")
    .action(async (o: { account?: string; deployment: string; api: string }) => {
      let markets: readonly MarketParams[] = [];
      try {
        markets = deployment(o.deployment).markets;
      } catch {
        // names only: without the file, markets are shown by index
      }
      type View = {
        account: string;
        nonce: string;
        status: string;
        suspendedBecause?: string;
        terms: { maxSize: string; discountBps: string }[];
        acknowledgedAt: number;
      };
      const line = (v: View) =>
        `account ${v.account}: ${v.status}, nonce ${v.nonce}, since ${new Date(v.acknowledgedAt).toISOString()}: ${fmtTerms(v.terms, markets)}${v.suspendedBecause ? ` (suspended: ${v.suspendedBecause})` : ""}`;
      if (o.account !== undefined) {
        const account = bigintArg("account", o.account);
        const r = await api(o.api, "GET", `/v1/liquidator-offers/${account}`);
        const v = r.offer as View | null;
        print(
          out(),
          r,
          `${v ? line(v) : `account ${account}: no offer`}\nnext nonce ${String(r.nextNonce)}`,
        );
        return;
      }
      const r = await api(o.api, "GET", "/v1/liquidator-offers");
      const offers = r.offers as View[];
      print(
        out(),
        r,
        offers.length === 0
          ? "no standing offers"
          : `${offers.length} standing offer(s), earliest first:\n${offers.map(line).join("\n")}`,
      );
    });
}
