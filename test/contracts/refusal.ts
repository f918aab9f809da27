import assert from "node:assert/strict";
import type { Interface } from "ethers";

/**
 * The custom error (name and arguments) a reverted call or transaction carries, decoded with
 * `contract`'s interface. ethers decodes a failed gas estimate of a transaction only to its
 * raw data, and a timelock passes on the revert data of the call it executes, which only the
 * called contract's interface names.
 */
export async function refusal(
  contract: { readonly interface: Interface },
  p: Promise<unknown>,
): Promise<{ name: string; args: unknown[] }> {
  try {
    await p;
  } catch (e) {
    const data = (e as { data?: string }).data;
    const r = data ? contract.interface.parseError(data) : null;
    assert.ok(r, `not a custom error of the contract: ${(e as Error).message}`);
    return { name: r.name, args: [...r.args] };
  }
  assert.fail("the call succeeded");
}
