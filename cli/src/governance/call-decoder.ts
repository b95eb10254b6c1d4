import { DEPLOYED_CONTRACTS, type DeployedContractName } from "@tributary/contracts/deployments";
import { formatEther, type ParamType, type Result } from "ethers";
import type { ChainSession } from "../chain/chain-session.js";

/** One call of a proposal, decoded with the ABI of the deployment contract it targets (when it targets one). */
export interface DecodedCall {
  readonly target: string;
  /** The deployment contract at `target`; null for any other address. */
  readonly contract: DeployedContractName | null;
  readonly value: bigint;
  readonly data: string;
  /** `TrainingJobs.setParameters(parameters=(protocolFeeBps=500, …))`, or the raw calldata when not decodable. */
  readonly text: string;
}

function render(type: ParamType, value: unknown): string {
  if (type.isTuple()) {
    const fields = value as Result;
    return `(${type.components.map((component, index) => `${component.name || index}=${render(component, fields[index])}`).join(", ")})`;
  }
  if (type.isArray()) return `[${[...(value as Result)].map((item) => render(type.arrayChildren, item)).join(", ")}]`;
  return type.baseType === "address" ? String(value).toLowerCase() : String(value);
}

/** Decodes a proposal's calls: each as `Contract.function(arg=value, …)` for the deployment's contracts. */
export async function decodeCalls(
  chain: ChainSession,
  calls: {
    readonly targets: readonly string[];
    readonly values: readonly bigint[];
    readonly calldatas: readonly string[];
  },
): Promise<DecodedCall[]> {
  const { contracts } = (await chain.deployment()).deployment;
  const byAddress = new Map(DEPLOYED_CONTRACTS.map((name) => [contracts[name].toLowerCase(), name]));
  const decoded: DecodedCall[] = [];
  for (const [index, rawTarget] of calls.targets.entries()) {
    const target = rawTarget.toLowerCase();
    const value = calls.values[index] ?? 0n;
    const data = calls.calldatas[index] ?? "0x";
    const contract = byAddress.get(target) ?? null;
    const sent = value === 0n ? "" : ` sending ${formatEther(value)} ETH`;
    let text = `${target}${sent} with calldata ${data}`;
    if (contract !== null) {
      const contractInterface = (await chain.contract(contract)).interface;
      let parsed: ReturnType<typeof contractInterface.parseTransaction> = null;
      try {
        parsed = contractInterface.parseTransaction({ data, value });
      } catch {
        // Calldata that does not decode with the contract's ABI is shown raw.
      }
      if (parsed !== null) {
        const args = parsed.fragment.inputs.map((input, i) => `${input.name || i}=${render(input, parsed.args[i])}`);
        text = `${contract}.${parsed.name}(${args.join(", ")})${sent}`;
      } else {
        text = `${contract} ${text}`;
      }
    }
    decoded.push({ target, contract, value, data, text });
  }
  return decoded;
}
