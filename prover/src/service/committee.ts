import { getAddress, type HDNodeWallet, type Provider, type Wallet } from "ethers";
import {
  attestationSigner,
  CommitteeError,
  packAttestations,
  type Attestation,
} from "../domain/committee.ts";
import { batchCommitment } from "../domain/batch-kinds.ts";
import type { AttestationRequest, AttestorPort } from "../domain/ports.ts";
import { toBatchFile } from "../engine/batch-file.ts";
import { readCommittee, signAttestation } from "../chain/committee.ts";

/**
 * How the operator gathers the data committee's signatures of a batch before it submits it
 * (Settlement refuses a trade, withdrawal or liquidation batch without k of them).
 */

/** The deployment the attestations are for. */
export interface AttestationTarget {
  readonly chainId: bigint;
  readonly settlement: string;
}

function attestationOf(r: AttestationRequest): Attestation {
  return {
    batch: r.batch,
    kind: r.data.kind,
    oldRoot: r.data.oldRoot,
    newRoot: r.data.newRoot,
    dataCommitment: batchCommitment(r.data),
  };
}

/**
 * The replicas' committee: each replica (`zkclear replica`) is sent the batch's file and
 * proof (`POST /v1/attest`), checks it (proof, commitment, replay, solvency) and answers
 * its signature, or refuses and says why. Asked all at once; a signature counts only if it
 * recovers to a current member (Committee.sol, read at each batch, so a replaced committee
 * is followed) over this batch's digest, once per member; k of them are sent. Fewer than k:
 * COMMITTEE_SHORT naming every replica's answer (the pipeline tries again later).
 */
export class ReplicaAttestor implements AttestorPort {
  constructor(
    private readonly urls: readonly string[],
    private readonly provider: Provider,
    private readonly target: AttestationTarget,
    private readonly timeoutMs = 60_000,
  ) {
    if (urls.length === 0)
      throw new CommitteeError("COMMITTEE_UNREACHED", "no replica URL to ask for attestations");
  }

  async attest(r: AttestationRequest): Promise<string> {
    const { members, threshold } = await readCommittee(this.provider, this.target.settlement);
    const isMember = new Set(members.map((m) => getAddress(m)));
    const a = attestationOf(r);
    const file = toBatchFile(r.data, { ...this.target, batch: r.batch });
    const body = JSON.stringify({ file, proof: r.proof });
    const answers = await Promise.all(this.urls.map((u) => this.ask(u, body)));
    const bySigner = new Map<string, string>();
    const why: string[] = [];
    for (const [i, ans] of answers.entries()) {
      const url = this.urls[i];
      if ("refused" in ans) {
        why.push(`${url}: ${ans.refused}`);
        continue;
      }
      let signer: string;
      try {
        signer = attestationSigner(this.target.chainId, this.target.settlement, a, ans.signature);
      } catch (e) {
        why.push(`${url}: an unreadable signature (${(e as Error).message})`);
        continue;
      }
      if (!isMember.has(signer)) why.push(`${url}: signed by ${signer}, not a committee member`);
      else if (bySigner.has(signer)) why.push(`${url}: a second signature of member ${signer}`);
      else bySigner.set(signer, ans.signature);
    }
    if (bySigner.size < threshold)
      throw new CommitteeError(
        "COMMITTEE_SHORT",
        `batch ${r.batch}: ${bySigner.size} of the ${threshold} committee signatures needed` +
          (why.length ? ` (${why.join("; ")})` : ""),
      );
    return packAttestations([...bySigner.values()].slice(0, threshold));
  }

  private async ask(
    url: string,
    body: string,
  ): Promise<{ signature: string } | { refused: string }> {
    let res: Response;
    try {
      res = await fetch(`${url.replace(/\/$/, "")}/v1/attest`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (e) {
      return { refused: `unreachable (${(e as Error).message})` };
    }
    const text = await res.text();
    let json: { signature?: unknown; error?: unknown; message?: unknown };
    try {
      json = JSON.parse(text) as typeof json;
    } catch {
      return { refused: `HTTP ${res.status}: ${text.slice(0, 200)}` };
    }
    if (res.ok && typeof json.signature === "string") return { signature: json.signature };
    return { refused: `${String(json.error ?? res.status)}: ${String(json.message ?? text)}` };
  }
}

/**
 * INSECURE: signs with committee keys held by the operator itself, checking nothing. Only
 * for a development chain (`zkclear serve` on chain 31337 without --replicas) and for rigs
 * that test something else; a real committee is replicas (ReplicaAttestor).
 */
export class KeyAttestor implements AttestorPort {
  constructor(
    private readonly wallets: readonly (Wallet | HDNodeWallet)[],
    private readonly target: AttestationTarget,
  ) {}

  async attest(r: AttestationRequest): Promise<string> {
    const a = attestationOf(r);
    const sigs = await Promise.all(
      this.wallets.map((w) => signAttestation(w, this.target.chainId, this.target.settlement, a)),
    );
    return packAttestations(sigs);
  }
}
