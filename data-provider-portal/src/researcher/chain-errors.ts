import { decodeRevert } from "@tributary/contracts/revert-decoder";

/**
 * A transaction or call the wallet would not send or the chain refused, in words: the contract's custom error
 * decoded with the deployment's ABIs (the same decoder the CLI reports with), else what the wallet said.
 */
export function chainErrorText(error: unknown): string {
  const e = error as { code?: string; shortMessage?: string; message?: string };
  if (e.code === "ACTION_REJECTED") return "you rejected the transaction in your wallet: nothing was sent";
  if (e.code === "INSUFFICIENT_FUNDS") return "the account has not enough ETH to pay for gas: nothing was sent";
  const decoded = decodeRevert(error);
  if (decoded !== undefined) return `the chain refused it: ${decoded.text}`;
  return e.shortMessage ?? e.message ?? String(error);
}
