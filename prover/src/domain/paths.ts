import path from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root (this file lives in prover/src/domain). */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
/** Everything generated: builds, keys, compiled contracts, deployments. Never committed. */
export const ARTIFACTS = path.join(ROOT, "artifacts");
