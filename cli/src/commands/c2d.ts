import type { Command } from "commander";
import { addKeyOption } from "../chain/wallet-options.js";
import { runC2dRun } from "./c2d-run.js";
import { type C2dCommandContext, runC2dServe } from "./c2d-serve.js";
import { exitWithUsageCode } from "./exit-codes.js";

/** `tributary c2d serve|run`: compute-to-data, the owner's node and the researcher's runs. */
export function registerC2dCommand(program: Command, context: C2dCommandContext = {}): void {
  const c2d = program
    .command("c2d")
    .description(
      "compute-to-data: allowlisted algorithms (DP statistics, a DP-SGD training step) run at the data owner's node",
    );
  c2d
    .command("serve")
    .description(
      "the data owner's node: runs researchers' signed requests for allowlisted algorithms on the local data inside the enclave boundary, charges the trainer's privacy ledger, lets out only policy-checked aggregate outputs with their attestation, logs every run",
    )
    .requiredOption("--dataset-id <id>", "the id the dataset was enrolled under")
    .requiredOption("--format <idx|csv|jsonl>", "format of the local data")
    .requiredOption("--data <file>", "the records (IDX images, CSV or JSONL)")
    .option("--labels <file>", "IDX labels file (with --format idx)")
    .option("--label-column <name>", "CSV label column", "label")
    .option("--num-classes <n>", "number of classes", "10")
    .requiredOption(
      "--allow <names>",
      "the algorithms allowed, comma-separated, each NAME or NAME@HASH (dp-count, dp-mean, dp-histogram, dp-quantiles, tributary-train-step)",
    )
    .requiredOption(
      "--researchers <addresses|any>",
      "who may run them: comma-separated addresses, or any (every signed requester)",
    )
    .option(
      "--state-dir <dir>",
      "the trainer's state directory: its privacy ledger is charged, the run log kept there",
      ".tributary/trainer",
    )
    .option(
      "--budget-epsilon <e>",
      "total ε the dataset may spend (as for `trainer`: default the enrolled ε with --rpc, else 10)",
    )
    .option("--budget-delta <d>", "the owner's δ (default the enrolled δ with --rpc, else 1e-5)")
    .option("--microbatch-size <n>", "records per clipped microbatch in a training step", "8")
    .option("--min-records-per-cell <k>", "fewest records per released cell (bin, quantile interval) on average", "20")
    .option("--max-epsilon-per-run <e>", "the most ε one run may cost", "1")
    .option("--max-request-ttl <seconds>", "the longest a signed request may be valid for", "3600")
    .option(
      "--rpc <url>",
      "JSON-RPC URL of the chain: the files must hash to the dataset's commitment on DatasetRegistry",
    )
    .option("--deployment <file>", "deployment file of the contracts (default: the package's for the RPC's chain)")
    .option(
      "--tee <kind>",
      "the TEE to attest from: simulated (development only), nitro, sgx (Gramine) or tdx",
      "simulated",
    )
    .option("--nsm-helper <path>", "with --tee nitro: the helper that asks the Nitro Secure Module for documents")
    .option("--host <host>", "the address to listen on", "127.0.0.1")
    .option("--port <n>", "the port (0: any free port)", "8495")
    .option("--json", "print the result as one JSON line when it stops", false)
    .exitOverride(exitWithUsageCode)
    .action((options: Record<string, unknown>) => runC2dServe(options, context));
  addKeyOption(
    c2d
      .command("run")
      .description(
        "a researcher's run at a data owner's node: signs the request (EIP-712), checks the answer's attestation binds the algorithm, params and output, prints the output and the ε it cost",
      )
      .requiredOption("--node <url>", "the data owner's compute-to-data node")
      .requiredOption("--dataset <id>", "the dataset to run on")
      .requiredOption("--algorithm <name>", "dp-count, dp-mean, dp-histogram, dp-quantiles or tributary-train-step")
      .requiredOption("--params <file>", "the algorithm's parameters, one JSON object"),
    "researcher",
  )
    .option("--expires-in <seconds>", "how long the signed request stays valid", "300")
    .option(
      "--allow-simulated",
      "accept the simulator's attestation (development only: no TEE stands behind it)",
      false,
    )
    .option("--measurement <hex,…>", "enclave measurements to accept (default any, printed)")
    .option("--collateral <file>", "DCAP collateral (JSON) to verify an SGX or TDX quote with")
    .option("--out <file>", "write the whole answer (output, hashes, attestation document) as JSON")
    .option("--json", "print the result as one JSON line", false)
    .exitOverride(exitWithUsageCode)
    .action((options: Record<string, unknown>) => runC2dRun(options));
}
