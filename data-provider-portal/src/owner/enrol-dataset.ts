import { decodeRevert } from "@tributary/contracts/revert-decoder";
import { connectDatasetRegistry } from "@tributary/contracts/typed";
import {
  type Bytes32,
  DeltaSchema,
  EpsilonSchema,
  PriceSchema,
  parseChainEvent,
  parseInput,
  toFixed18,
} from "@tributary/protocol";
import { parseEther, type Signer } from "ethers";
import { z } from "zod";

/** The enrolment form's terms as typed, parsed by the schemas `tributary dataset enrol` parses its flags with. */
export const EnrolTermsSchema = z.strictObject({
  pricePerRound: PriceSchema,
  epsilon: EpsilonSchema,
  delta: DeltaSchema,
  /** Empty: `ipfs://<CID of the manifest>`, as the CLI defaults. */
  metadataUri: z.string().max(2000),
});
export type EnrolTerms = z.infer<typeof EnrolTermsSchema>;

/** Parses the form's fields; the error names each field at fault (`enrolment terms.epsilon: Too small…`). */
export function parseEnrolTerms(fields: Record<string, string>): EnrolTerms {
  return parseInput(EnrolTermsSchema, fields, "enrolment terms");
}

/** A transaction the wallet would not send or the chain refused, in words; a contract's error decoded with its ABI. */
export function refusalMessage(error: unknown, contract: string): string {
  const decoded = decodeRevert(error);
  if (decoded !== undefined) return `${contract} refused it: ${decoded.text}. Nothing was sent.`;
  const e = error as { code?: string; shortMessage?: string; message?: string };
  if (e.code === "ACTION_REJECTED") return "you rejected the transaction in your wallet: nothing was sent";
  if (e.code === "INSUFFICIENT_FUNDS") return "the account has not enough ETH to pay for gas";
  return e.shortMessage ?? e.message ?? String(error);
}

/** A dataset enrolled on DatasetRegistry: its id (from the `DatasetRegistered` event) and the transaction. */
export interface Enrolled {
  readonly datasetId: string;
  readonly txHash: string;
}

/**
 * `registerDataset(commitment, metadataURI, price, ε, δ)` through the wallet, as `tributary dataset enrol` sends
 * it (price in TRIB's 18 decimals, ε and δ in 18-decimal fixed point). ethers estimates gas first, so a call the
 * registry would refuse is not sent; its error is the registry's, decoded. The new id is read from the receipt.
 */
export async function enrolOnRegistry(
  signer: Signer,
  registryAddress: string,
  commitment: Bytes32,
  terms: { metadataURI: string; pricePerRound: string; epsilon: number; delta: number },
  onSent: (txHash: string) => void = () => {},
): Promise<Enrolled> {
  const registry = connectDatasetRegistry(registryAddress, signer);
  const sent = await registry.registerDataset(
    commitment,
    terms.metadataURI,
    parseEther(terms.pricePerRound),
    toFixed18(terms.epsilon),
    toFixed18(terms.delta),
  );
  onSent(sent.hash);
  const receipt = await sent.wait();
  if (receipt === null || receipt.status !== 1) throw new Error(`the enrolment ${sent.hash} failed on chain`);
  const fragment = registry.filters.DatasetRegistered.fragment;
  for (const log of receipt.logs) {
    if (log.topics[0] !== fragment.topicHash) continue;
    const args = registry.interface.decodeEventLog(fragment, log.data, log.topics).toObject();
    return { datasetId: parseChainEvent("DatasetRegistered", args).args.datasetId, txHash: sent.hash };
  }
  throw new Error(`transaction ${sent.hash} enrolled no dataset (no DatasetRegistered event)`);
}
