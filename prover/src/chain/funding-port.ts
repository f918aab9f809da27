import {
  Contract,
  type EventLog,
  type JsonRpcApiProvider,
  type Log,
  type Provider,
  type Signer,
} from "ethers";
import { BATCH_KINDS } from "../domain/batch-kinds.ts";
import type { DeploymentAddresses } from "../domain/deployment.ts";
import type { FundingPort, FundingStatus, FundingTickView } from "../domain/ports.ts";
import { loadArtifact } from "./artifacts.ts";
import { FundingChainError, FundingClient, type FundingTickEvent } from "./funding.ts";

/** Where a log sits in the chain: block, then log index in the block (chain order). */
interface Place {
  readonly block: number;
  readonly index: number;
}

function after(x: Place, y: Place): boolean {
  return x.block > y.block || (x.block === y.block && x.index > y.index);
}

/**
 * The operator's FundingPort on a real chain: the Funding contract's state and ticks
 * (chain/funding.ts FundingClient), and the rate rule's window (domain/funding-rate.ts):
 * Settlement's BatchSettled events of trade batches after the last FundingTicked event, in
 * chain order (block, then log index). FundingTicked events are read once and kept.
 */
export class ChainFunding implements FundingPort {
  readonly client: FundingClient;
  private readonly settlement: Contract;
  private readonly provider: Provider;
  private params: { interval: bigint; maxRatePpm: bigint } | undefined;
  private readonly seen: FundingTickEvent[] = [];
  /** FundingTicked events are read up to this block. */
  private scanned: number;

  /**
   * @param fromBlock the deployment's block (nothing of it is older): where the events are
   *   read from
   */
  constructor(
    addresses: DeploymentAddresses,
    signer: Signer,
    private readonly fromBlock = 0,
  ) {
    this.scanned = fromBlock - 1;
    if (!signer.provider)
      throw new FundingChainError("NO_PROVIDER", "the operator's key must be connected to a node");
    this.provider = signer.provider;
    this.client = new FundingClient(addresses.funding, signer);
    this.settlement = new Contract(
      addresses.settlement,
      loadArtifact("Settlement").abi,
      this.provider,
    );
  }

  /** The FundingTicked events up to the latest block (read from where the last read ended). */
  private async tickEvents(latest: number): Promise<FundingTickEvent[]> {
    if (latest > this.scanned) {
      this.seen.push(...(await this.client.tickEvents(this.scanned + 1, latest)));
      this.seen.sort((x, y) => x.tick - y.tick);
      this.scanned = latest;
    }
    return this.seen;
  }

  async status(): Promise<FundingStatus> {
    this.params ??= await this.client.params();
    const block = await this.latestBlock();
    const ticks = await this.tickEvents(block.number);
    const n = await this.client.tickCount();
    const current = await this.client.tickAt(n - 1);
    return {
      interval: this.params.interval,
      maxRatePpm: this.params.maxRatePpm,
      nextTickTime: await this.client.nextTickTime(),
      chainTime: block.timestamp,
      current: { tick: current.tick, fromRound: current.fromRound, indices: current.indices },
      ticks: ticks.map(({ block: _b, logIndex: _i, ...t }) => t),
    };
  }

  /**
   * The latest block's number and time, asked raw where the provider can (ethers answers
   * "latest" from a cache that lags a chain whose time was moved).
   */
  private async latestBlock(): Promise<{ number: number; timestamp: bigint }> {
    const p = this.provider as Partial<JsonRpcApiProvider>;
    if (typeof p.send === "function") {
      const b = (await p.send("eth_getBlockByNumber", ["latest", false])) as {
        number: string;
        timestamp: string;
      };
      return { number: Number(b.number), timestamp: BigInt(b.timestamp) };
    }
    const b = await this.provider.getBlock("latest");
    if (!b) throw new FundingChainError("NO_RECEIPT", "funding: the node returned no latest block");
    return { number: b.number, timestamp: BigInt(b.timestamp) };
  }

  async tradeRootsSinceTick(): Promise<bigint[]> {
    const latest = (await this.latestBlock()).number;
    const ticks = await this.tickEvents(latest);
    const tip = ticks.at(-1);
    const last: Place = tip
      ? { block: tip.block, index: tip.logIndex }
      : { block: this.fromBlock - 1, index: -1 };
    const s = this.settlement;
    const logs = await s.queryFilter(
      s.filters.BatchSettled(null, BATCH_KINDS.trades.number),
      Math.max(this.fromBlock, last.block),
      latest,
    );
    return logs
      .filter((l): l is EventLog => "args" in l)
      .filter((l: Log) => after({ block: l.blockNumber, index: l.index }, last))
      .sort((x, y) => x.blockNumber - y.blockNumber || x.index - y.index)
      .map((l) => BigInt(l.args.newRoot));
  }

  tick(ratesPpm: readonly bigint[]): Promise<FundingTickView> {
    return this.client.tick(ratesPpm);
  }
}
