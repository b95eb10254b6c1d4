import type { DeployedContractName } from "@tributary/contracts/deployments";
import { parseInput } from "@tributary/protocol";
import type { ContractTransaction } from "ethers";
import { z } from "zod";
import type { ChainSession } from "../chain/chain-session.js";
import type { TokenInfo } from "../chain/spend.js";
import { type KeyType, parseWith, type ValueContext, type ValueType } from "./param-values.js";

/** What parameters are read and encoded against: the chain and the deployment's token (TRIB). */
export interface ParamContext {
  readonly chain: ChainSession;
  readonly trib: TokenInfo;
}

/** A value as the JSON line carries it: base units as a bigint, an address, or a flag. */
export type ParamValue = bigint | string | boolean;

/** One parameter a proposal changes: its current value on chain and the proposed one, shown and raw. */
export interface ParamChange {
  /** The parameter with its keys, as typed: `staking.unbondingDelay`, `optimisticVerifier.committeeMember:0x…`. */
  readonly param: string;
  readonly current: ParamValue;
  readonly proposed: ParamValue;
  readonly currentShown: string;
  readonly proposedShown: string;
}

/** A call a proposal makes: which contract of the deployment, and the calldata. */
export interface EncodedCall {
  readonly contract: DeployedContractName;
  readonly target: string;
  readonly data: string;
}

/**
 * A struct of parameters set in one call (`TrainingJobs.setParameters(Parameters)`): several `--set` of its
 * fields merge into one call that keeps every other field as it is on chain.
 */
export interface StructGroup<K extends string = string> {
  readonly contract: DeployedContractName;
  readonly setter: string;
  read(context: ParamContext): Promise<Record<K, bigint>>;
  write(context: ParamContext, value: Record<K, bigint>): Promise<ContractTransaction>;
}

/** What one `--set` resolved to: the change, and either a field of a struct or a call of its own. */
export type ResolvedSet =
  | { readonly change: ParamChange; readonly field: { group: StructGroup; name: string; value: bigint } }
  | { readonly change: ParamChange; readonly call: () => Promise<EncodedCall> };

/** A parameter of the catalogue, its value type erased. */
export interface Param {
  readonly name: string;
  readonly contract: DeployedContractName;
  /** The function a proposal calls, for people: `setParameters`. */
  readonly setter: string;
  readonly kind: string;
  readonly syntax: string;
  /** The names of its keys (`ADDRESS`, `MODEL_ID`); none for a plain parameter. */
  readonly keys: readonly string[];
  readonly description: string;
  /** Its value on chain (undefined for a keyed parameter, which has one per key). */
  current(context: ParamContext): Promise<{ value: ParamValue; shown: string } | undefined>;
  /** Parses `keys` and `text` and reads the current value. */
  resolve(context: ParamContext, keys: readonly string[], text: string): Promise<ResolvedSet>;
}

const tribContext = (context: ParamContext): ValueContext => ({ token: context.trib });

/** The named fields of a struct an ethers call returned (a `Result`), parsed: each a non-negative integer. */
export function namedFields<K extends string>(result: unknown, fields: readonly K[], what: string): Record<K, bigint> {
  const picked = Object.fromEntries(fields.map((field) => [field, (result as Record<string, unknown>)[field]]));
  const schema = z.object(Object.fromEntries(fields.map((field) => [field, z.bigint().nonnegative()])));
  return parseInput(schema, picked, what) as Record<K, bigint>;
}

async function encoded(contract: DeployedContractName, tx: Promise<ContractTransaction>): Promise<EncodedCall> {
  const { to, data } = await tx;
  return { contract, target: to.toLowerCase(), data };
}

/** The fields of `group`, each a parameter `prefix.field`. */
export function structParams<K extends string>(
  prefix: string,
  group: StructGroup<K>,
  fields: Record<K, { type: ValueType<bigint>; description: string }>,
): Param[] {
  return (Object.keys(fields) as K[]).map((field) => {
    const { type, description } = fields[field];
    const name = `${prefix}.${field}`;
    const read = async (context: ParamContext) => (await group.read(context))[field];
    return {
      name,
      contract: group.contract,
      setter: group.setter,
      kind: type.kind,
      syntax: type.syntax,
      keys: [],
      description,
      current: async (context) => {
        const value = await read(context);
        return { value, shown: type.show(value, tribContext(context)) };
      },
      resolve: async (context, _keys, text) => {
        const proposed = type.parse(text, name, tribContext(context));
        const current = await read(context);
        const show = (value: bigint) => type.show(value, tribContext(context));
        return {
          change: { param: name, current, proposed, currentShown: show(current), proposedShown: show(proposed) },
          field: { group: group as unknown as StructGroup, name: field, value: proposed },
        };
      },
    };
  });
}

/** A parameter with a setter of its own (`Staking.setUnbondingDelay(delay)`). */
export function scalarParam<V extends ParamValue>(spec: {
  name: string;
  contract: DeployedContractName;
  setter: string;
  type: ValueType<V>;
  description: string;
  read(context: ParamContext): Promise<V>;
  write(context: ParamContext, value: V): Promise<ContractTransaction>;
}): Param {
  return keyedParam<V, []>({
    ...spec,
    keys: [],
    read: (context) => spec.read(context),
    write: (context, _keys, value) => spec.write(context, value),
  });
}

/**
 * A parameter per key (`OptimisticVerifier.setCommitteeMember(member, isMember)`), written `name:KEY…=VALUE`.
 * `valueContext` gives the token its amounts are in when that depends on a key (a treasury withdrawal's token).
 */
export function keyedParam<V extends ParamValue, KS extends readonly unknown[]>(spec: {
  name: string;
  contract: DeployedContractName;
  setter: string;
  type: ValueType<V>;
  keys: { readonly [I in keyof KS]: KeyType<KS[I]> };
  description: string;
  read(context: ParamContext, keys: KS): Promise<V>;
  write(context: ParamContext, keys: KS, value: V): Promise<ContractTransaction>;
  valueContext?(context: ParamContext, keys: KS): Promise<ValueContext>;
  showCurrent?(value: V, context: ValueContext): string;
}): Param {
  const { name, type } = spec;
  const keyTypes = spec.keys as readonly KeyType<unknown>[];
  const valueContext = (context: ParamContext, keys: KS) =>
    spec.valueContext?.(context, keys) ?? Promise.resolve(tribContext(context));
  return {
    name,
    contract: spec.contract,
    setter: spec.setter,
    kind: type.kind,
    syntax: type.syntax,
    keys: keyTypes.map((key) => key.name),
    description: spec.description,
    current: async (context) => {
      if (keyTypes.length > 0) return undefined;
      const value = await spec.read(context, [] as unknown as KS);
      return { value, shown: type.show(value, tribContext(context)) };
    },
    resolve: async (context, rawKeys, text) => {
      const param = [name, ...rawKeys.map((key) => key.toLowerCase())].join(":");
      const keys = keyTypes.map((key, index) =>
        parseWith(key.schema, rawKeys[index] ?? "", `${param} (${key.name})`),
      ) as unknown as KS;
      const values = await valueContext(context, keys);
      const proposed = type.parse(text, param, values);
      const current = await spec.read(context, keys);
      const showCurrent = spec.showCurrent ?? type.show;
      return {
        change: {
          param,
          current,
          proposed,
          currentShown: showCurrent(current, values),
          proposedShown: type.show(proposed, values),
        },
        call: () => encoded(spec.contract, spec.write(context, keys, proposed)),
      };
    },
  };
}
