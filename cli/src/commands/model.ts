import type { Command } from "commander";
import {
  addChainOptions,
  addCoordinatorOption,
  addIdAction,
  type CommandAction,
  type CommandContext,
} from "../chain/command-options.js";
import { addSpendOption } from "../chain/spend.js";
import { addKeyOption } from "../chain/wallet-options.js";
import { exitWithUsageCode } from "./exit-codes.js";
import { runBuy, runDownload, runList, runShow } from "./model-market.js";
import { DEFAULT_BUYER_STATE_DIR, runPredict } from "./model-predict.js";
import { runModelApprove, runModelRegister } from "./model-register.js";
import { runModelRevenue, runWithdrawRevenue } from "./model-revenue.js";
import { runModelTasks, runServeRequests } from "./model-tasks.js";

/** A subcommand whose only argument is the model id, run by `action`. */
function byId(command: Command, context: CommandContext, action: CommandAction): Command {
  return addIdAction(command, "the model id on ModelRegistry", context, action);
}

/**
 * `tributary model list|show|buy|download|predict|tasks|serve-requests|register|approve|revenue|withdraw-revenue`:
 * trained models on ModelRegistry. Buyers list, inspect, license and download them, pay for predictions through a
 * task router, verifiable ones checked on OptimisticVerifier as tasks (TRIBUTARY_BUYER_KEY); a job's researcher, or a provider it approved, registers a finalised job's model
 * (TRIBUTARY_PROVIDER_KEY: the account whose stake is locked); the researcher approves providers
 * (TRIBUTARY_RESEARCHER_KEY); the provider and the researcher withdraw their shares of the licence revenue.
 */
export function registerModelCommand(program: Command, context: CommandContext = {}): void {
  const model = program
    .command("model")
    .description(
      "trained models on ModelRegistry: list, show, buy a licence, download, predict through a router (buyers); register a finalised job's model, approve providers (researchers); see and withdraw licence revenue (providers, researchers)",
    );
  const chainCommand = (name: string, description: string) =>
    addChainOptions(model.command(name).description(description));
  const withCoordinator = (command: Command, what: string) => addCoordinatorOption(command, what);

  withCoordinator(
    chainCommand("list", "registered models with their price, accuracy, ε and reputation"),
    "the models' metadata",
  )
    .option("--task <task>", "classification, regression, or words of the job's name")
    .option("--min-accuracy <fraction>", "least accuracy on the validation set, 0–1")
    .option("--max-price <tokens>", "most a licence may cost, in the model's payment token")
    .option("--max-price-per-token <tokens>", "most an inference token may cost")
    .option("--min-reputation <n>", "least reputation score")
    .option("--max-epsilon <ε>", "most ε any of the model's datasets spent (models trained without DP are left out)")
    .option("--job <id>", "only models of this training job")
    .option("--all", "deactivated models too", false)
    .action((options: Record<string, unknown>) => runList(options, context));

  byId(
    withCoordinator(
      chainCommand("show", "a model as ModelRegistry holds it, with its checked metadata"),
      "its metadata",
    ),
    context,
    runShow,
  );

  byId(
    addSpendOption(
      addKeyOption(chainCommand("buy", "buy a licence to a model (approves exactly its price first)"), "buyer"),
    ),
    context,
    runBuy,
  ).requiredOption("--max-price <tokens>", "the most you agree to pay (the price you saw); a higher price is refused");

  byId(
    addKeyOption(
      withCoordinator(
        chainCommand(
          "download",
          "as a licence holder, download a model's weights, check them against ModelRegistry and write a tfjs layers model",
        ),
        "the weights",
      ),
      "buyer",
    ),
    context,
    runDownload,
  ).requiredOption("--out <dir>", "directory to write model.json, weights.bin, weights.f32 and model-metadata.json to");

  byId(
    addKeyOption(
      chainCommand(
        "predict",
        "paid predictions through a task router: the buyer's channels are offered, only the provider that answers is paid, receipts are checked",
      ),
      "buyer",
    ),
    context,
    runPredict,
  )
    .requiredOption("--router <url>", "the task router (tributary router serve)")
    .requiredOption("--input <file>", "a JSON array of examples, each nested to the model's input shape")
    .option("--channel <ids>", "only these channels (comma-separated); default: every open channel of the buyer's")
    .option("--prefer <term>", "what the router weighs most: price, latency or reputation")
    .option("--repeat <n>", "send the examples this many times, one request after another", "1")
    .option("--state-dir <dir>", "where the channels' state is kept between runs", DEFAULT_BUYER_STATE_DIR)
    .option(
      "--verifiable",
      "deterministic answers (?verifiable=1), their receipts checked with deterministic-inference and their request bytes kept for challengers",
      false,
    )
    .option(
      "--task",
      "make every answer an OptimisticVerifier task (implies --verifiable; only the listing's provider is offered)",
      false,
    )
    .option("--task-rate <r>", "make this share (0–1) of the answers tasks, drawn at random after each answer", "0")
    .option("--task-payment <tokens>", "each task's payment in the model's token (default: the request's price)")
    .option("--requests-dir <dir>", "where verifiable requests are kept (default: <state-dir>/requests)")
    .option("--no-approve", "refuse a task whose payment is not approved instead of approving it");

  addKeyOption(
    chainCommand(
      "tasks",
      "the buyer's OptimisticVerifier tasks; --finalize finalises undisputed ones after their window, cancels unanswered ones, withdraws refunds",
    ),
    "buyer",
  )
    .option("--state-dir <dir>", "where the task book is kept (as model predict)", DEFAULT_BUYER_STATE_DIR)
    .option("--finalize", "finalise, cancel and withdraw what is due", false)
    .action((options: Record<string, unknown>) => runModelTasks(options, context));

  model
    .command("serve-requests")
    .description("serve the buyer's verifiable requests at GET /v1/requests/<hash> to challengers, until stopped")
    .option("--state-dir <dir>", "the buyer's state directory (as model predict)", DEFAULT_BUYER_STATE_DIR)
    .option("--requests-dir <dir>", "the requests (default: <state-dir>/requests)")
    .option("--host <host>", "the address to listen on", "127.0.0.1")
    .option("--port <n>", "the port (0: any free port)", "8485")
    .exitOverride(exitWithUsageCode)
    .action((options: Record<string, unknown>) => runServeRequests(options, context));

  addKeyOption(
    withCoordinator(
      chainCommand(
        "register",
        "list a finalised job's final model on ModelRegistry with its hash, layout, validation accuracy and ε, locking stake",
      ),
      "the job",
    ),
    "provider",
  )
    .requiredOption("--job <id>", "the finalised training job whose final model to register")
    .requiredOption("--stake <tokens>", "stake to lock (already staked on Staking: tributary stake deposit)")
    .requiredOption("--price-per-token <tokens>", "inference price per token")
    .requiredOption("--licence-price <tokens>", "price of a licence (0: free)")
    .option("--endpoint <url>", "where the model is served")
    .option(
      "--token <TRIB|address>",
      "the token licences are sold in: TRIB (the deployment's) or an ERC-20 address",
      "TRIB",
    )
    .action((options: Record<string, unknown>) => runModelRegister(options, context));

  addKeyOption(
    chainCommand(
      "approve",
      "as a job's researcher, let a provider register and serve the job's model (--revoke to undo)",
    ),
    "researcher",
  )
    .requiredOption("--job <id>", "the training job")
    .requiredOption("--provider <address>", "the provider's account")
    .option("--revoke", "withdraw the approval", false)
    .action((options: Record<string, unknown>) => runModelApprove(options, context));

  const asRole = (command: Command) =>
    command.option(
      "--as <role>",
      "whose key: provider (TRIBUTARY_PROVIDER_KEY) or researcher (TRIBUTARY_RESEARCHER_KEY)",
      "provider",
    );
  asRole(
    addKeyOption(
      chainCommand(
        "revenue",
        "licence revenue ModelRegistry credited to an account (a model's provider, a job's researcher) and not yet withdrawn",
      ),
      "provider",
    ),
  )
    .option("--address <address>", "the account to show (default: the key's)")
    .option("--token <TRIB|address>", "only this token (default: TRIB and every registered model's payment token)")
    .action((options: Record<string, unknown>) => runModelRevenue(options, context));

  asRole(
    addKeyOption(
      chainCommand(
        "withdraw-revenue",
        "as a model's provider or a job's researcher, withdraw your credited licence revenue",
      ),
      "provider",
    ),
  )
    .option("--token <TRIB|address>", "the token to withdraw: TRIB (the deployment's) or an ERC-20 address", "TRIB")
    .action((options: Record<string, unknown>) => runWithdrawRevenue(options, context));
}
