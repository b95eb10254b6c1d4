import { decodeRevert } from "@tributary/contracts/revert-decoder";
import { TributaryError } from "@tributary/protocol";
import { isError } from "ethers";
import { RefusedError } from "../chain/run-command.js";
import type { EncodedCall, ParamChange, ParamContext, ResolvedSet, StructGroup } from "./param-kinds.js";
import { PARAMETER_CATALOGUE } from "./parameter-catalogue.js";

/** One call a proposal will make, with the parameters it changes. */
export interface PlannedCall extends EncodedCall {
  readonly changes: readonly ParamChange[];
}

/** `--set NAME[:KEY…]=VALUE`, split. */
interface SetFlag {
  readonly name: string;
  readonly keys: readonly string[];
  readonly value: string;
}

function parseSetFlag(text: string): SetFlag {
  const equals = text.indexOf("=");
  if (equals <= 0 || equals === text.length - 1) {
    throw new TributaryError(
      "INVALID_INPUT",
      `--set ${text}: must be PARAM=VALUE, e.g. --set staking.unbondingDelay=7d`,
    );
  }
  const [name = "", ...keys] = text.slice(0, equals).split(":");
  return { name, keys, value: text.slice(equals + 1) };
}

/** The catalogue's parameter `name`; an unknown one is an error listing the known ones. */
function paramNamed(name: string, text: string) {
  const param = PARAMETER_CATALOGUE.find((candidate) => candidate.name === name);
  if (param === undefined) {
    const known = PARAMETER_CATALOGUE.map((candidate) => [candidate.name, ...candidate.keys].join(":")).join(", ");
    throw new TributaryError(
      "INVALID_INPUT",
      `--set ${text}: unknown parameter ${name}; the known ones are ${known} (\`tributary gov params\` shows their values)`,
      { details: { param: name, known: PARAMETER_CATALOGUE.map((candidate) => candidate.name) } },
    );
  }
  return param;
}

/**
 * Turns the `--set` flags into the calls a proposal makes: each value parsed by its parameter's type and read
 * against the chain; the fields of one struct (`trainingJobs.protocolFeeBps`, `trainingJobs.claimPeriod`) merge
 * into one `setParameters` call that keeps the struct's other fields as they are on chain. Calls come in the
 * order their first `--set` was given. A parameter set twice is an error.
 */
export async function planCalls(context: ParamContext, sets: readonly string[]): Promise<PlannedCall[]> {
  type Slot =
    | { kind: "struct"; group: StructGroup; fields: Record<string, bigint> | undefined; changes: ParamChange[] }
    | { kind: "call"; resolved: Extract<ResolvedSet, { call: unknown }> };
  const slots: Slot[] = [];
  const seen = new Set<string>();
  for (const text of sets) {
    const flag = parseSetFlag(text);
    const param = paramNamed(flag.name, text);
    if (flag.keys.length !== param.keys.length) {
      const form = [param.name, ...param.keys].join(":");
      throw new TributaryError("INVALID_INPUT", `--set ${text}: ${param.name} is written ${form}=VALUE`);
    }
    const resolved = await param.resolve(context, flag.keys, flag.value);
    if (seen.has(resolved.change.param)) {
      throw new TributaryError("INVALID_INPUT", `--set ${text}: ${resolved.change.param} is set twice`);
    }
    seen.add(resolved.change.param);
    if ("call" in resolved) {
      slots.push({ kind: "call", resolved });
      continue;
    }
    const { group } = resolved.field;
    let slot = slots.find((candidate) => candidate.kind === "struct" && candidate.group === group);
    if (slot === undefined) {
      slot = { kind: "struct", group, fields: undefined, changes: [] };
      slots.push(slot);
    }
    if (slot.kind === "struct") {
      slot.fields ??= await group.read(context);
      slot.fields[resolved.field.name] = resolved.field.value;
      slot.changes.push(resolved.change);
    }
  }
  const calls: PlannedCall[] = [];
  for (const slot of slots) {
    if (slot.kind === "call") {
      calls.push({ ...(await slot.resolved.call()), changes: [slot.resolved.change] });
    } else {
      const { to, data } = await slot.group.write(context, slot.fields ?? {});
      calls.push({ contract: slot.group.contract, target: to.toLowerCase(), data, changes: slot.changes });
    }
  }
  return calls;
}

/**
 * Runs each call as the timelock would make it, against the chain as it is now (`eth_call` from the timelock), and
 * refuses (`PROPOSAL_WOULD_REVERT`) when one reverts: a value the contract rejects, or a contract the timelock does
 * not administer. The governor's own settings are not simulated: the governor takes them only inside `execute`.
 * Returns the indexes of the calls simulated.
 */
export async function simulateAsTimelock(context: ParamContext, calls: readonly PlannedCall[]): Promise<number[]> {
  const timelock = await context.chain.address("TributaryTimelock");
  const simulated: number[] = [];
  for (const [index, call] of calls.entries()) {
    if (call.contract === "TributaryGovernor") continue;
    try {
      await context.chain.provider.call({ from: timelock, to: call.target, data: call.data });
    } catch (error) {
      const decoded = decodeRevert(error);
      if (decoded === undefined && !isError(error, "CALL_EXCEPTION")) throw error;
      const reason = decoded === undefined ? "without a reason the contracts' ABIs name" : `with ${decoded.text}`;
      const params = call.changes.map((change) => change.param).join(", ");
      throw new RefusedError(
        "PROPOSAL_WOULD_REVERT",
        `call ${index + 1} (${call.contract}, setting ${params}) would revert if the timelock made it now, ${reason}; nothing was proposed`,
        {
          call: index + 1,
          contract: call.contract,
          target: call.target,
          ...(decoded === undefined ? {} : { error: decoded.name, args: decoded.args }),
        },
        error,
      );
    }
    simulated.push(index);
  }
  return simulated;
}
