// Gas of real withdrawal batches (test parameters, real proofs, in-process Hardhat chain):
//   npx tsx scripts/withdrawal-gas.ts
// Two batches of two payouts each, paid at once (the deployment's default bound): the first
// batch writes the Vault's fresh storage (each recipient's `owed`, the rate limit's window),
// the second shows a batch's steady cost. Uses nothing newer than the Vault's credit path, so
// it measures a checkout before the withdrawal rate limit the same way (README, "Withdrawal
// rate limit": 318,822 gas before, 325,958 after for the second batch).
import hre from "hardhat";
import { BrowserProvider, type Eip1193Provider } from "ethers";
import { PARAM_SETS } from "../prover/src/domain/params.ts";
import { signWithdrawal } from "../prover/src/domain/transfers.ts";
import { prepareContracts } from "../prover/src/chain/deploy.ts";
import {
  deposit,
  postRound,
  settleDeposits,
  settleWithdrawals,
  setupWorld,
} from "../prover/src/dev/onchain.ts";
import { terminateCurve } from "../prover/src/proving/prover.ts";

await prepareContracts();
const provider = new BrowserProvider(hre.network.provider as unknown as Eip1193Provider);
const s = await Promise.all([0, 1, 2].map((i) => provider.getSigner(i)));
const w = await setupWorld(PARAM_SETS.test, s[0], [s[1], s[2]]);
const [a, b] = w.participants;
await deposit(w, a, 5_000_000_00n);
await deposit(w, b, 5_000_000_00n);
await settleDeposits(w);
await postRound(w, [60_000_00n, 3_000_00n]);
const to = [await a.signer.getAddress(), await b.signer.getAddress()];
for (const nonce of [0n, 1n]) {
  const sw = [a, b].map((p, i) =>
    signWithdrawal(
      { account: p.account!, nonce, amount: 1_000_000_00n, recipient: BigInt(to[i]) },
      p.keys.privateKey,
      w.domain,
    ),
  );
  const r = await settleWithdrawals(w, sw);
  console.log(`withdrawal batch ${nonce + 1n} (2 payouts, paid at once): ${r.gasUsed} gas`);
}
await terminateCurve();
process.exit(0);
