// Deploys zkclear to a JSON-RPC endpoint:
//   npm run deploy -- [--rpc http://127.0.0.1:8545] [--params test|demo|bench]
//                     [--key 0x<deployer private key>] [--token 0x<ERC20>]
//                     [--oracle-signers 0xA,0xB,0xC] [--quorum 2]
// Without --oracle-signers the oracle trusts three INSECURE development signers, 2 of 3,
// for which `zkclear feed` posts rounds.
// Without --key it uses the node's first unlocked account (a local `hardhat node`).
// Verifiers come from the parameter set's INSECURE development keys unless production
// verifiers were generated into artifacts/generated/contracts (see README).
import { JsonRpcProvider, Wallet, type Signer } from "ethers";
import { paramSet } from "../prover/src/domain/params.ts";
import { deploy, prepareContracts, saveDeployment } from "../prover/src/chain/deploy.ts";
import { terminateCurve } from "../prover/src/proving/prover.ts";
import { devOracleWallets } from "../prover/src/service/feeder.ts";

function arg(name: string, fallback?: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
}

const rpc = arg("rpc", "http://127.0.0.1:8545")!;
const p = paramSet(arg("params", "test")!);
try {
  const provider = new JsonRpcProvider(rpc);
  const key = arg("key");
  const deployer: Signer = key ? new Wallet(key, provider) : await provider.getSigner(0);
  await prepareContracts(p, (s) => console.log(s));
  // without --oracle-signers: three INSECURE development signers (zkclear feed signs for them)
  const given = arg("oracle-signers");
  const signers = given ? given.split(",") : devOracleWallets(3).map((w) => w.address);
  const d = await deploy(deployer, {
    params: p,
    token: arg("token"),
    oracle: {
      signers,
      quorum: Number(arg("quorum", given ? "1" : "2")),
      maxReportAge: 3600,
      bounds: Array.from({ length: p.markets }, () => [1n, (1n << 64n) - 1n] as const),
    },
  });
  const file = saveDeployment(`chain-${d.addresses.chainId}`, d.addresses);
  console.log(JSON.stringify(d.addresses, null, 2));
  console.log(`saved to ${file}`);
} finally {
  await terminateCurve();
}
