import fs from "node:fs";
import path from "node:path";
import type { VerificationKey } from "snarkjs";
import { defaultMarkets } from "../domain/market.ts";
import { devOwners } from "../domain/owners.ts";
import { paramSet, PARAM_SETS, type ParamSet } from "../domain/params.ts";
import { CONFIG_FILE_NAME, parseConfigFile, type PublishedConfig } from "../engine/batch-file.ts";
import { CIRCUITS, type CircuitId } from "../domain/circuits.ts";
import { keyFiles } from "../proving/paths.ts";
import { AuditError } from "./auditor.ts";
import type { BatchFileSource } from "./sources.ts";

/**
 * The audit's configuration: the published config.json next to the batch files, or,
 * for a development deployment, a named parameter set with its default markets. Either
 * way Settlement's configHash must match it (the audit checks).
 */
export async function loadAuditConfig(o: {
  files?: BatchFileSource;
  params?: string;
  chainId: bigint;
  settlement: string;
}): Promise<PublishedConfig> {
  if (o.files) {
    const text = await o.files.read(CONFIG_FILE_NAME);
    if (text !== undefined) {
      const c = parseConfigFile(text, `${o.files.describe}/${CONFIG_FILE_NAME}`);
      const known = (PARAM_SETS as Record<string, unknown>)[c.paramSet.name];
      if (known && JSON.stringify(known) !== JSON.stringify(c.paramSet))
        throw new AuditError(
          "CONFIG_INVALID",
          `${CONFIG_FILE_NAME}: parameter set "${c.paramSet.name}" has other dimensions than zkclear's`,
        );
      return c;
    }
    if (!o.params)
      throw new AuditError(
        "CONFIG_MISSING",
        `${o.files.describe} has no ${CONFIG_FILE_NAME}; give --params for a development deployment`,
      );
  }
  if (!o.params)
    throw new AuditError("CONFIG_MISSING", "give --files (with its config.json) or --params");
  const ps = paramSet(o.params);
  return {
    chainId: o.chainId,
    settlement: o.settlement,
    paramSet: ps,
    markets: defaultMarkets(ps.markets),
    // a development deployment: the INSECURE development owners and no fund floor
    fundFloor: 0n,
    owners: devOwners(),
  };
}

/**
 * The local verification keys: `<dir>/<circuit>.vkey.json` (for instance exported from a
 * ceremony), or the INSECURE development keys this checkout made for the parameter set.
 */
export function loadVerificationKeys(
  ps: ParamSet,
  dir?: string,
): Record<CircuitId, VerificationKey> {
  const paramSetName = ps.name;
  const out = {} as Record<CircuitId, VerificationKey>;
  for (const id of Object.keys(CIRCUITS) as CircuitId[]) {
    const file = dir ? path.join(dir, `${id}.vkey.json`) : keyFiles(id, ps).devVkey;
    if (!fs.existsSync(file))
      throw new AuditError(
        "VKEY_MISSING",
        `no verification key ${file}` +
          (dir ? "" : ` (run \`npm run keys:dev -- ${paramSetName}\` or give --vkeys <dir>)`),
      );
    out[id] = JSON.parse(fs.readFileSync(file, "utf8")) as VerificationKey;
    const expected = CIRCUITS[id].publicCount(ps);
    const nPublic = (out[id] as unknown as { nPublic: number }).nPublic;
    if (nPublic !== expected)
      throw new AuditError(
        "VKEY_INVALID",
        `${file} has ${nPublic} public inputs, ${id} has ${expected}`,
      );
  }
  return out;
}
