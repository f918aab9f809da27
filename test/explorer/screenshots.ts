/**
 * `npm run screenshots`: the explorer's main views as PNGs in docs/ (linked from the README),
 * taken in headless Chromium from the same real operator the page test uses (real chain,
 * real proofs): docs/explorer-overview.png, docs/explorer-account.png (an account's figures
 * for its key holder) and docs/explorer-frozen.png (after a freeze). About half a minute.
 */
import path from "node:path";
import { terminateCurve } from "../../prover/src/proving/prover.ts";
import { accountQueryJson, signAccountQuery } from "../../prover/src/explorer/query.ts";
import { launchBrowser, withPage } from "../helpers/browser.ts";
import { startExplorerRig } from "../helpers/explorer-rig.ts";

const DOCS = path.resolve(import.meta.dirname, "../../docs");

async function main(): Promise<void> {
  const [x, browser] = await Promise.all([startExplorerRig(), launchBrowser()]);
  try {
    const shot = (name: string) => path.join(DOCS, `explorer-${name}.png`);
    const page = { url: `${x.url}/explorer` };
    const size = { browser, viewport: { width: 1280, height: 900 } };
    await withPage(page, (p) => p.screenshot({ path: shot("overview"), fullPage: true }), size);
    await withPage(
      page,
      async (p) => {
        const q = signAccountQuery(
          x.alice.keys.privateKey,
          x.alice.account!,
          BigInt(Math.floor(Date.now() / 1000)),
          x.rig.w.domain,
        );
        await p.$eval(
          "#query",
          (e, v) => ((e as HTMLTextAreaElement).value = v),
          accountQueryJson(q),
        );
        await p.click("#account-show");
        await p.waitForSelector("#account-view:not([hidden])");
        const account = await p.$("#account");
        await account!.screenshot({ path: shot("account") });
      },
      size,
    );
    await x.freeze();
    await x.exit(x.carol);
    await withPage(page, (p) => p.screenshot({ path: shot("frozen"), fullPage: true }), size);
    console.log(`wrote ${["overview", "account", "frozen"].map(shot).join(", ")}`);
  } finally {
    await browser.close();
    await x.close();
    await terminateCurve();
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
