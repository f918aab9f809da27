import { ZkClearError, type CodeOf } from "../domain/errors.ts";

export class StoreError extends ZkClearError<CodeOf<"store" | "operator">> {}
