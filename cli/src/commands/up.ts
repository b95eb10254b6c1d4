import { parseInput } from "@tributary/protocol";
import type { Command } from "commander";
import { z } from "zod";
import { isInteractive } from "../cli-env.js";
import { ByzantineOptionSchema } from "../demo/byzantine-spec.js";
import { STRATEGY_NAMES } from "../demo/demo-strategy.js";
import { runDemo } from "../demo/run-demo.js";

const PartitionSchema = z.union([
  z.literal("iid").transform(() => ({ kind: "iid" as const })),
  z
    .string()
    .regex(/^dirichlet:[0-9]*\.?[0-9]+$/, "must be iid or dirichlet:ALPHA, e.g. dirichlet:0.5")
    .transform((text) => ({ kind: "dirichlet" as const, alpha: Number(text.slice("dirichlet:".length)) }))
    .refine((partition) => partition.alpha > 0, "ALPHA must be positive"),
]);

const UpOptionsSchema = z
  .strictObject({
    clients: z.coerce.number().int().min(1).max(64),
    rounds: z.coerce.number().int().min(1).max(1000),
    model: z.enum(["mlp", "cnn"]),
    partition: PartitionSchema,
    strategy: z.enum(STRATEGY_NAMES),
    dpEpsilon: z.coerce.number().positive().max(100).optional(),
    dataset: z.string().min(1),
    dataDir: z.string().min(1),
    port: z.coerce.number().int().min(0).max(65_535),
    localEpochs: z.coerce.number().int().min(1).max(100),
    learningRate: z.coerce.number().positive().max(10),
    batchSize: z.coerce.number().int().min(1).max(4096),
    exit: z.boolean(),
    json: z.boolean(),
    byzantine: ByzantineOptionSchema.optional(),
  })
  .refine((options) => options.byzantine === undefined || options.byzantine.count <= options.clients, {
    message: "--byzantine K must not exceed --clients",
    path: ["byzantine"],
  });

export function registerUpCommand(program: Command): void {
  program
    .command("up")
    .description("run the whole federated flow on this machine: coordinator, N data owners' trainer agents, one job")
    .option("--clients <n>", "number of data owners (trainer agent processes)", "3")
    .option("--rounds <n>", "federated rounds", "5")
    .option("--model <mlp|cnn>", "MLP 784-200-200-10 or the FedAvg-paper CNN", "mlp")
    .option("--partition <iid|dirichlet:ALPHA>", "how the training data is split among owners", "iid")
    .option("--strategy <name>", `aggregation: ${STRATEGY_NAMES.join(", ")}`, "fedavg")
    .option("--dp-epsilon <e>", "train with DP-SGD to this ε per dataset (δ = 1e-5); omitted: no DP")
    .option(
      "--dataset <mnist|fashion-mnist|DIR>",
      "mnist (shipped), fashion-mnist (Debian package) or a directory of IDX files",
      "mnist",
    )
    .option("--data-dir <dir>", "where the coordinator keeps its database and models", ".tributary")
    .option("--port <n>", "coordinator port (0: any free port)", "8470")
    .option("--local-epochs <n>", "local epochs per round", "1")
    .option("--learning-rate <lr>", "local SGD learning rate", "0.05")
    .option("--batch-size <n>", "local batch size", "32")
    .option("--exit", "stop everything when the job ends (default: keep the coordinator running)", false)
    .option("--json", "print the result as one JSON object on the last line", false)
    .option(
      "--byzantine <K:ATTACK>",
      "robustness testing: the first K trainers attack (sign-flip or scale-100), e.g. 2:sign-flip",
    )
    .action(async (raw: Record<string, unknown>) => {
      const options = parseInput(UpOptionsSchema, raw, "up options");
      const write = (text: string) => process.stdout.write(text);
      const { result, coordinator, trainers } = await runDemo(
        { ...options, interactive: isInteractive() && !options.json },
        write,
      );
      write(
        `\njob ${result.jobId} completed in ${result.durationS}s: accuracy ${result.accuracy === null ? "n/a" : `${(result.accuracy * 100).toFixed(2)}%`}` +
          ` (federated evaluation on held-out data), loss ${result.loss?.toFixed(4) ?? "n/a"}, ε ${result.epsilonSpent?.toFixed(3) ?? "∞ (no DP)"},` +
          ` backend ${result.backend}, database ${result.database}` +
          `${result.byzantine === undefined ? "" : `, ${result.byzantine.count} Byzantine trainers (${result.byzantine.attack})`}\n`,
      );
      const shutdown = async () => {
        await Promise.all(trainers.map((trainer) => trainer.stop()));
        await coordinator.close();
      };
      // The summary line has exactly the fields the quick start documents; per-round detail stays in the table.
      const { jobId, rounds, clients, accuracy, loss, epsilonSpent, backend, database, durationS } = result;
      const summary = { jobId, rounds, clients, accuracy, loss, epsilonSpent, backend, database, durationS };
      if (options.exit) {
        await shutdown();
        if (options.json) write(`${JSON.stringify(summary)}\n`);
        return;
      }
      if (options.json) write(`${JSON.stringify(summary)}\n`);
      write(
        `coordinator still running at ${coordinator.url} (docs ${coordinator.url}/docs); Ctrl-C stops it and the trainers\n`,
      );
      await new Promise<void>((resolve) => {
        process.once("SIGINT", resolve);
        process.once("SIGTERM", resolve);
      });
      await shutdown();
    });
}
