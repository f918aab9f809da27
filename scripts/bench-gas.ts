// Gas per batch kind on the in-process Hardhat chain: npm run bench:gas [-- test demo bench]
// Uses real proofs made with each set's INSECURE development keys.
import hre from "hardhat";
import { BrowserProvider, type Eip1193Provider } from "ethers";
import { paramSet } from "../prover/src/domain/params.ts";
import { prepareContracts } from "../prover/src/chain/deploy.ts";
import { formatGas, measureGas, type GasReport } from "../prover/src/dev/gas.ts";
import { terminateCurve } from "../prover/src/proving/prover.ts";

const sets = process.argv.slice(2).filter((a) => !a.startsWith("--"));
const provider = new BrowserProvider(hre.network.provider as unknown as Eip1193Provider);
const rows: GasReport[] = [];
try {
  for (const name of sets.length ? sets : ["test", "demo"]) {
    const p = paramSet(name);
    console.log(`== ${name}`);
    await prepareContracts(p, (s) => console.log(`  ${s}`));
    const signers = await Promise.all([0, 1, 2, 3, 4].map((i) => provider.getSigner(i)));
    rows.push(await measureGas(p, signers[0], signers.slice(1), (s) => console.log(`  ${s}`)));
  }
} finally {
  await terminateCurve();
}
console.log(`\n${formatGas(rows)}`);
process.exit(0);
