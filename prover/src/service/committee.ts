import { getAddress, type HDNodeWallet, type Provider, type Wallet } from "ethers";
import {
  attestationOf,
  attestationSigner,
  CommitteeError,
  packAttestations,
} from "../domain/committee.ts";
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
    const a = attestationOf(r.batch, r.data);
    const file = toBatchFile(r.data, { ...this.target, batch: r.batch });
    const body = JSON.stringify({ file, proof: r.proof });
    const bySigner = new Map<string, string>();
    const why: string[] = [];
    // a replica's answer counts once it recovers to a member not yet counted; anything
    // else (a refusal, garbage, silence) is noted and ignored
    const judge = (url: string, ans: Answer) => {
      if ("refused" in ans) return void why.push(`${url}: ${ans.refused}`);
      let signer: string;
      try {
        signer = attestationSigner(this.target.chainId, this.target.settlement, a, ans.signature);
      } catch (e) {
        return void why.push(`${url}: an unreadable signature (${(e as Error).message})`);
      }
      if (!isMember.has(signer)) why.push(`${url}: signed by ${signer}, not a committee member`);
      else if (bySigner.has(signer)) why.push(`${url}: a second signature of member ${signer}`);
      else bySigner.set(signer, ans.signature);
    };
    // done as soon as k members signed: the others are not waited for
    const abort = new AbortController();
    await new Promise<void>((resolve) => {
      let open = this.urls.length;
      for (const url of this.urls)
        void this.ask(url, body, abort.signal).then((ans) => {
          judge(url, ans);
          open--;
          if (bySigner.size >= threshold || open === 0) resolve();
        });
    });
    abort.abort();
    if (bySigner.size < threshold)
      throw new CommitteeError(
        "COMMITTEE_SHORT",
        `batch ${r.batch}: ${bySigner.size} of the ${threshold} committee signatures needed` +
          (why.length ? ` (${why.join("; ")})` : ""),
      );
    return packAttestations([...bySigner.values()].slice(0, threshold));
  }

  /** One replica's answer; never throws (a failure is a refusal saying why). */
  private async ask(url: string, body: string, stop: AbortSignal): Promise<Answer> {
    try {
      const res = await fetch(`${url.replace(/\/$/, "")}/v1/attest`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body,
        signal: AbortSignal.any([stop, AbortSignal.timeout(this.timeoutMs)]),
      });
      const text = await readCapped(res, MAX_ANSWER_BYTES);
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        return { refused: `HTTP ${res.status}: ${text.slice(0, 200)}` };
      }
      if (typeof json !== "object" || json === null || Array.isArray(json))
        return { refused: `HTTP ${res.status}: not a JSON object` };
      const o = json as { signature?: unknown; error?: unknown; message?: unknown };
      if (res.ok && typeof o.signature === "string") return { signature: o.signature };
      return {
        refused: `${String(o.error ?? res.status)}: ${String(o.message ?? "").slice(0, 500)}`,
      };
    } catch (e) {
      return { refused: `no answer (${(e as Error).message})` };
    }
  }
}

type Answer = { signature: string } | { refused: string };

/** An answer is a signature or a short refusal: a replica cannot make the operator read more. */
const MAX_ANSWER_BYTES = 64 * 1024;

async function readCapped(res: Response, max: number): Promise<string> {
  if (!res.body) return "";
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel();
      throw new CommitteeError("COMMITTEE_UNREACHED", `an answer over ${max} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
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
    const a = attestationOf(r.batch, r.data);
    const sigs = await Promise.all(
      this.wallets.map((w) => signAttestation(w, this.target.chainId, this.target.settlement, a)),
    );
    return packAttestations(sigs);
  }
}
