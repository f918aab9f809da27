import fs from "node:fs";
import * as snarkjs from "snarkjs";
import type { ParamSet } from "../domain/params.ts";
import { buildCircuit, type BuildManifest } from "./build.ts";
import { instanceName, type CircuitId } from "../domain/circuits.ts";
import { generateDevZkey, type DevZkeyInfo } from "./dev-zkey.ts";
import { circuitFiles, keyFiles, type KeyFiles } from "./paths.ts";

export interface DevKeys extends KeyFiles {
  readonly build: BuildManifest;
  readonly generated: boolean;
  readonly info: DevKeyManifest;
}

export interface DevKeyManifest extends DevZkeyInfo {
  readonly sourceHash: string;
  readonly warning: string;
}

const WARNING =
  "INSECURE development key: its toxic waste was sampled on the machine that made it, " +
  "which could forge proofs. Never use it for real funds; see README 'Production keys'.";

/**
 * Builds the circuit instance if needed and makes INSECURE development keys for it
 * (artifacts/keys/<set>/<circuit>/<circuit>.insecure-dev.{zkey,vkey.json}), unless keys
 * for the same circuit build are already there.
 */
export async function ensureDevKeys(
  circuit: CircuitId,
  p: ParamSet,
  opts: { force?: boolean; log?: (s: string) => void } = {},
): Promise<DevKeys> {
  const log = opts.log ?? (() => {});
  const build = await buildCircuit(circuit, p, { log });
  const files = keyFiles(circuit, p);
  const manifestPath = `${files.devZkey}.json`;
  if (!opts.force && fs.existsSync(files.devZkey) && fs.existsSync(files.devVkey)) {
    try {
      const info = JSON.parse(fs.readFileSync(manifestPath, "utf8")) as DevKeyManifest;
      if (info.sourceHash === build.sourceHash) {
        log(`${instanceName(circuit, p)}: INSECURE development keys up to date`);
        return { ...files, build, generated: false, info };
      }
    } catch {
      // no or unreadable manifest: regenerate
    }
  }
  fs.mkdirSync(files.dir, { recursive: true });
  log(
    `${instanceName(circuit, p)}: generating INSECURE development keys (toxic waste known to this machine)`,
  );
  const zkey = await generateDevZkey({
    r1csPath: circuitFiles(circuit, p).r1cs,
    zkeyPath: files.devZkey,
    log,
  });
  const vkey = await snarkjs.zKey.exportVerificationKey(files.devZkey);
  fs.writeFileSync(files.devVkey, JSON.stringify(vkey, null, 2));
  const info: DevKeyManifest = { ...zkey, sourceHash: build.sourceHash, warning: WARNING };
  fs.writeFileSync(manifestPath, JSON.stringify(info, null, 2));
  log(`${instanceName(circuit, p)}: INSECURE development keys in ${zkey.seconds.toFixed(1)} s`);
  return { ...files, build, generated: true, info };
}
