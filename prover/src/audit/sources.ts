import fs from "node:fs";
import path from "node:path";
import { AuditError } from "./findings.ts";

/**
 * What the chain recorded of the batch whose file is asked for: a source holding several
 * candidate files for one batch number (a replica's attested files) answers the one that
 * states these.
 */
export interface BatchFileHint {
  readonly commitment: bigint;
  readonly newRoot: bigint;
  /** The rest of what the chain recorded of the batch (BatchSettled). */
  readonly oldRoot?: bigint;
  readonly roundId?: bigint;
}

/** Where published batch files come from: a directory or the operator's HTTP URL. */
export interface BatchFileSource {
  readonly describe: string;
  /** The file's text, or undefined when it is not there. */
  read(name: string, hint?: BatchFileHint): Promise<string | undefined>;
}

/** `dir` or `http(s)://host/v1/published`: the same file names under both. */
export function batchFileSource(spec: string): BatchFileSource {
  if (/^https?:\/\//.test(spec)) {
    const base = spec.replace(/\/$/, "");
    return {
      describe: base,
      async read(name) {
        let res: Response;
        try {
          res = await fetch(`${base}/${name}`);
        } catch (e) {
          throw new AuditError("FILES_UNREADABLE", `cannot reach ${base}: ${(e as Error).message}`);
        }
        if (res.status === 404) return undefined;
        if (!res.ok)
          throw new AuditError("FILES_UNREADABLE", `${base}/${name}: HTTP ${res.status}`);
        return res.text();
      },
    };
  }
  const dir = path.resolve(spec);
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory())
    throw new AuditError("FILES_UNREADABLE", `batch file directory ${spec} does not exist`);
  return {
    describe: dir,
    async read(name) {
      const file = path.join(dir, name);
      return fs.existsSync(file) ? fs.readFileSync(file, "utf8") : undefined;
    },
  };
}
