import { Contract, NonceManager, type Signer } from "ethers";
import type { Groth16Proof } from "snarkjs";
import type { BatchData } from "../domain/batch.ts";
import type { ChainPort, Round } from "../domain/ports.ts";
import type { Deposit } from "../domain/transfers.ts";
import { loadArtifact } from "./artifacts.ts";
import type { DeploymentAddresses } from "../domain/deployment.ts";
import { submitBatch } from "./settlement.ts";

/** Errors worth another try: the node did not answer, not "the contract refused". */
function transient(e: unknown): boolean {
  const code = (e as { code?: string }).code;
  return (
    code === "NETWORK_ERROR" ||
    code === "TIMEOUT" ||
    code === "SERVER_ERROR" ||
    code === "ECONNREFUSED"
  );
}

/**
 * The operator's view of a deployment through ethers v6: oracle rounds, the Vault's
 * deposit queue, the Settlement root, and batch submission with one nonce manager (so
 * consecutive transactions never collide), retries on transient errors and receipts.
 */
export class ChainClient implements ChainPort {
  readonly settlement: Contract;
  readonly vault: Contract;
  readonly oracle: Contract;
  private readonly retries: number;
  private readonly nonces: NonceManager;

  constructor(addresses: DeploymentAddresses, signer: Signer, opts: { retries?: number } = {}) {
    const managed = new NonceManager(signer);
    this.nonces = managed;
    this.settlement = new Contract(addresses.settlement, loadArtifact("Settlement").abi, managed);
    this.vault = new Contract(addresses.vault, loadArtifact("Vault").abi, managed);
    this.oracle = new Contract(addresses.oracle, loadArtifact("PriceOracle").abi, managed);
    this.retries = opts.retries ?? 3;
  }

  private async retry<T>(what: string, f: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await f();
      } catch (e) {
        // another sender used the key (or a restart lost count): learn the nonce again
        if ((e as { code?: string }).code === "NONCE_EXPIRED" && attempt < this.retries) {
          this.nonces.reset();
          continue;
        }
        if (attempt >= this.retries || !transient(e)) {
          if (e instanceof Error) e.message = `${what}: ${e.message}`;
          throw e;
        }
        await new Promise((r) => setTimeout(r, 250 * 2 ** attempt));
      }
    }
  }

  async latestRound(): Promise<Round | undefined> {
    return this.retry("latestRound", async () => {
      const id = BigInt(await this.oracle.getFunction("latestRoundId")());
      if (id === 0n) return undefined;
      const prices = (await this.oracle.getFunction("roundPrices")(id)) as bigint[];
      return { roundId: id, prices: prices.map(BigInt) };
    });
  }

  async depositsFrom(from: number): Promise<Deposit[]> {
    return this.retry("deposits", async () => {
      const count = Number(await this.vault.getFunction("depositCount")());
      if (count <= from) return [];
      const events = await this.vault.queryFilter(this.vault.filters.Deposited(), 0);
      return events
        .map((e) => ("args" in e ? e.args : undefined))
        .filter((a): a is NonNullable<typeof a> => a !== undefined && Number(a.index) >= from)
        .sort((a, b) => Number(a.index) - Number(b.index))
        .map((a) => ({
          account: BigInt(a.account),
          amount: BigInt(a.amount),
          pubKey: { x: BigInt(a.pkX), y: BigInt(a.pkY) },
        }));
    });
  }

  async stateRoot(): Promise<bigint> {
    return this.retry("stateRoot", async () =>
      BigInt(await this.settlement.getFunction("stateRoot")()),
    );
  }

  async submit(b: BatchData, proof: Groth16Proof): Promise<{ txHash: string; gasUsed: bigint }> {
    const receipt = await this.retry("submit", () => submitBatch(this.settlement, b, proof));
    return { txHash: receipt.hash, gasUsed: receipt.gasUsed };
  }
}
