import { ZeroHash, toBeHex, zeroPadValue } from "ethers";
import { devKeyPair } from "../../prover/src/domain/keys.ts";
import { FUZZ_TIMING, type ActorName, type Call, type FuzzWorld } from "./fuzz-world.ts";
import { roleId, type Model, type RoleName } from "./fuzz-model.ts";

/**
 * The fuzzed role changes and the calls no role may make: grants and revocations scheduled
 * on the governance timelock (by its proposer, or refused for anyone else), grants and
 * revocations sent straight to Settlement (refused unless the sender holds
 * DEFAULT_ADMIN_ROLE), and calls that would move funds, announce rounds or rewire the
 * contracts outside the rules, from every actor.
 */
export type RoleStep =
  | {
      kind: "timelockRole";
      proposer: ActorName;
      role: RoleName;
      grant: boolean;
      target: ActorName | "timelock";
    }
  | { kind: "directRole"; who: ActorName; role: RoleName; grant: boolean; target: ActorName }
  | { kind: "rogue"; who: ActorName; call: number }
  | { kind: "timelockRogue"; call: number };

export const ROGUE_CALLS = 9;
export const TIMELOCK_ROGUE_CALLS = 4;
const OWNER_KEY = devKeyPair("fuzz-owner").publicKey;

/** Governed's rule for a grant or revocation made by an admin (LastAdmin), or null. */
function changeRefusal(m: Model, role: RoleName, grant: boolean, target: string): string | null {
  const admins = m.roles.admin;
  if (!grant && role === "admin" && admins.has(target) && admins.size === 1) return "LastAdmin";
  return null;
}

function applyChange(m: Model, role: RoleName, grant: boolean, target: string): void {
  if (grant) m.roles[role].add(target);
  else m.roles[role].delete(target);
}

/** The calls of a role step, in order (a timelock change: schedule, then execute). */
export async function planRoleStep(
  w: FuzzWorld,
  m: Model,
  step: RoleStep,
  t: number,
): Promise<Call[]> {
  const s = w.d.settlement;
  const timelock = await w.d.timelock.getAddress();
  switch (step.kind) {
    case "timelockRole": {
      const target = step.target === "timelock" ? timelock : w.addr[step.target];
      const role = await roleId(w, step.role);
      const data = s.interface.encodeFunctionData(step.grant ? "grantRole" : "revokeRole", [
        role,
        target,
      ]);
      const op = [await s.getAddress(), 0n, data, ZeroHash, zeroPadValue(toBeHex(t), 32)];
      const proposer = step.proposer === "owner";
      const schedule: Call = {
        who: step.proposer,
        contract: w.d.timelock,
        method: "schedule",
        args: [...op, FUZZ_TIMING.timelockDelay],
        expected: proposer ? null : "AccessControlUnauthorizedAccount",
        onSuccess: () => {},
      };
      if (!proposer) return [schedule];
      const admin = m.roles.admin.has(timelock);
      return [
        schedule,
        {
          who: "owner",
          contract: w.d.timelock,
          method: "execute",
          args: op,
          advance: FUZZ_TIMING.timelockDelay,
          expected: admin
            ? changeRefusal(m, step.role, step.grant, target)
            : "AccessControlUnauthorizedAccount",
          onSuccess: () => applyChange(m, step.role, step.grant, target),
        },
      ];
    }
    case "directRole": {
      const target = w.addr[step.target];
      const admin = m.roles.admin.has(w.addr[step.who]);
      return [
        {
          who: step.who,
          contract: s,
          method: step.grant ? "grantRole" : "revokeRole",
          args: [await roleId(w, step.role), target],
          expected: admin
            ? changeRefusal(m, step.role, step.grant, target)
            : "AccessControlUnauthorizedAccount",
          onSuccess: () => applyChange(m, step.role, step.grant, target),
        },
      ];
    }
    case "rogue":
      return [await rogueCall(w, m, step.who, step.call % ROGUE_CALLS, t)];
    case "timelockRogue":
      return timelockRogue(w, step.call % TIMELOCK_ROGUE_CALLS, t);
  }
}

/**
 * The governance itself (the timelock, which holds DEFAULT_ADMIN_ROLE and the committee's
 * admin role) moving funds or rewiring: its proposer schedules the call and executes it
 * after the delay; the call must be refused (the timelock passes on the revert).
 */
async function timelockRogue(w: FuzzWorld, n: number, t: number): Promise<Call[]> {
  const timelock = await w.d.timelock.getAddress();
  const vault = await w.d.vault.getAddress();
  const [target, data, expected] = [
    [
      w.d.vault,
      w.d.vault.interface.encodeFunctionData("credit", [timelock, 10n ** 6n]),
      "NotSettlement",
    ],
    [
      w.d.token,
      w.d.token.interface.encodeFunctionData("transferFrom", [vault, timelock, 1n]),
      "ERC20InsufficientAllowance",
    ],
    [
      w.d.vault,
      w.d.vault.interface.encodeFunctionData("setSettlement", [timelock]),
      "SettlementAlreadySet",
    ],
    [
      w.d.oracle,
      w.d.oracle.interface.encodeFunctionData("setConsumer", [timelock]),
      "ConsumerAlreadySet",
    ],
  ][n] as [Call["contract"], string, string];
  const op = [await target.getAddress(), 0n, data, ZeroHash, zeroPadValue(toBeHex(t), 32)];
  return [
    {
      who: "owner",
      contract: w.d.timelock,
      method: "schedule",
      args: [...op, FUZZ_TIMING.timelockDelay],
      expected: null,
      onSuccess: () => {},
    },
    {
      who: "owner",
      contract: w.d.timelock,
      method: "execute",
      args: op,
      advance: FUZZ_TIMING.timelockDelay,
      expected,
      onSuccess: () => {},
    },
  ];
}

/** A call outside the rules: it must be refused whoever sends it. */
async function rogueCall(
  w: FuzzWorld,
  m: Model,
  who: ActorName,
  n: number,
  t: number,
): Promise<Call> {
  const me = w.addr[who];
  const c = (
    contract: Call["contract"],
    method: string,
    args: unknown[],
    expected: string,
  ): Call => ({
    who,
    contract,
    method,
    args,
    expected,
    onSuccess: () => {},
  });
  const vault = await w.d.vault.getAddress();
  const operatorRole = await roleId(w, "operator");
  const grant = w.d.settlement.interface.encodeFunctionData("grantRole", [operatorRole, me]);
  switch (n) {
    case 0:
      return c(w.d.vault, "credit", [me, 10n ** 6n], "NotSettlement");
    case 1:
      return c(w.d.vault, "setSettlement", [me], "SettlementAlreadySet");
    case 2:
      return c(w.d.settlement, "onRound", [m.latestRound + 1, t], "NotOracle");
    case 3:
      return c(w.d.oracle, "setConsumer", [me], "ConsumerAlreadySet");
    case 4:
      return c(w.d.token, "transferFrom", [vault, me, 1n], "ERC20InsufficientAllowance");
    case 5:
      // a call never scheduled: only the proposer may execute, and not this
      return c(
        w.d.timelock,
        "execute",
        [await w.d.settlement.getAddress(), 0n, grant, ZeroHash, ZeroHash],
        who === "owner" ? "TimelockUnexpectedOperationState" : "AccessControlUnauthorizedAccount",
      );
    case 6:
      // an admin may queue an owner key (that is the governance's power, not fuzzed here)
      if (m.roles.admin.has(me)) return c(w.d.vault, "credit", [me, 1n], "NotSettlement");
      return c(w.d.vault, "queueOwnerKey", [1n, OWNER_KEY.x, OWNER_KEY.y], "NotGovernance");
    case 7:
      return c(w.d.oracle, "setSigners", [[me, me, me], 1], "AccessControlUnauthorizedAccount");
    default:
      // the committee's admin is the timelock
      return c(w.d.committee, "setMembers", [[me], 1], "AccessControlUnauthorizedAccount");
  }
}
