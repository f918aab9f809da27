import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { ownersArg } from "../../prover/src/cli/deploy.ts";
import { CliError } from "../../prover/src/cli/common.ts";
import { devKeyPair } from "../../prover/src/domain/keys.ts";
import {
  devOwnerKeys,
  devOwnerRoles,
  devOwnerWarnings,
  formatPublicKey,
  sameKey,
} from "../../prover/src/domain/owners.ts";

const mine = formatPublicKey(devKeyPair("a treasury key of the tests: fee").publicKey);
const theirs = formatPublicKey(devKeyPair("a treasury key of the tests: fund").publicKey);
const dev = devOwnerKeys();

const refusal = (f: () => unknown): CliError => {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof CliError, String(e));
    return e;
  }
  assert.fail("not refused");
};

describe("deploy: both system account owners, or neither", function () {
  it("refuses --fee-owner alone or --fund-owner alone, naming the missing flag", function () {
    const fee = refusal(() => ownersArg({ feeOwner: mine }));
    assert.equal(fee.code, "OWNER_MISSING");
    assert.match(fee.message, /^--fee-owner without --fund-owner: give both/);
    const fund = refusal(() => ownersArg({ fundOwner: mine }));
    assert.equal(fund.code, "OWNER_MISSING");
    assert.match(fund.message, /^--fund-owner without --fee-owner: give both/);
  });

  it("the CLI refuses one owner alone before it deploys anything (exit 2, OWNER_MISSING)", async function () {
    const run = await new Promise<{ code: number; stdout: string }>((resolve) =>
      execFile(
        "bin/zkclear",
        ["--json", "deploy", "--fund-owner", theirs, "--rpc", "http://127.0.0.1:1"],
        { timeout: 60_000 },
        (err, stdout) =>
          resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout }),
      ),
    );
    assert.equal(run.code, 2);
    assert.equal((JSON.parse(run.stdout) as { error: string }).error, "OWNER_MISSING");
  });

  it("neither: both development owners, each flagged INSECURE; both given: the keys given, none flagged", function () {
    const d = ownersArg({});
    assert.ok(sameKey(d.fee, dev.fee.publicKey) && sameKey(d.fund, dev.fund.publicKey));
    assert.deepEqual(devOwnerRoles(d), ["fee", "fund"]);
    const w = devOwnerWarnings(d);
    assert.equal(w.length, 2);
    assert.match(w[0], /^WARNING: the fee owner's key is the INSECURE development key/);
    assert.match(w[1], /^WARNING: the fund owner's key is the INSECURE development key/);
    const o = ownersArg({ feeOwner: mine, fundOwner: theirs });
    assert.equal(formatPublicKey(o.fee), mine);
    assert.equal(formatPublicKey(o.fund), theirs);
    assert.deepEqual(devOwnerRoles(o), []);
    assert.deepEqual(devOwnerWarnings(o), []);
  });

  it("flags each development key given explicitly, whichever role it is given for", function () {
    const half = ownersArg({ feeOwner: mine, fundOwner: formatPublicKey(dev.fund.publicKey) });
    assert.deepEqual(devOwnerRoles(half), ["fund"]);
    assert.match(devOwnerWarnings(half).join("\n"), /the fund owner's key is the INSECURE/);
    // the fund's development key as the fee owner is just as public
    const swapped = ownersArg({ feeOwner: formatPublicKey(dev.fund.publicKey), fundOwner: theirs });
    assert.deepEqual(devOwnerRoles(swapped), ["fee"]);
  });
});
