import path from "node:path";
import { parseInput } from "@tributary/protocol";
import { z } from "zod";
import { DirectoryRequestStore, serveRequestStore } from "../buyer/directory-request-store.js";
import { TaskBook } from "../buyer/task-book.js";
import { withChain } from "../chain/chain-session.js";
import { ChainOptionsShape } from "../chain/command-options.js";
import { runCommand } from "../chain/run-command.js";
import { KeyOptionsShape, walletFor } from "../chain/wallet-options.js";
import { chainTime } from "../verification/verifier-tasks.js";
import type { WatchCommandContext } from "./challenger.js";
import { signalled } from "./signalled.js";

const TasksOptionsSchema = z.strictObject({
  ...ChainOptionsShape,
  ...KeyOptionsShape,
  stateDir: z.string().min(1),
  finalize: z.boolean().default(false),
});

const ServeRequestsOptionsSchema = z.strictObject({
  stateDir: z.string().min(1),
  requestsDir: z.string().min(1).optional(),
  host: z.string().min(1),
  port: z.coerce.number().int().min(0).max(65_535),
});

/**
 * `tributary model tasks [--finalize]`: the buyer's OptimisticVerifier tasks (its task book in `--state-dir`) as the
 * chain holds them; with `--finalize`, undisputed tasks past their window are finalised, tasks without a response by
 * their deadline cancelled, and what the verifier credited back withdrawn.
 */
export function runModelTasks(raw: Record<string, unknown>, context: WatchCommandContext): Promise<void> {
  return runCommand(raw, async (out) => {
    const options = parseInput(TasksOptionsSchema, raw, "model tasks options");
    const wallet = await walletFor("buyer", options, out);
    await withChain(options, context, async (chain) => {
      const buyer = wallet.connect(chain.provider);
      const verifier = await chain.contract("OptimisticVerifier", options.finalize ? buyer : undefined);
      const book = await TaskBook.open(options.stateDir, {
        chainId: chain.chainId,
        verifier: await verifier.getAddress(),
        buyer: buyer.address,
      });
      const now = await chainTime(chain);
      const standings = options.finalize
        ? await book.settle(out, buyer.address, verifier, now)
        : await Promise.all(
            book
              .entries()
              .map(async (entry) => ({ taskId: entry.taskId, status: entry.ended ?? "open", action: "none" as const })),
          );
      out.table([
        ["task", "status", "action"],
        ...standings.map((s) => [
          s.taskId,
          s.status,
          "submittedOtherThanReceipt" in s && s.submittedOtherThanReceipt !== undefined
            ? `the provider submitted ${s.submittedOtherThanReceipt}, not its receipt's hash`
            : s.action,
        ]),
      ]);
      out.done({ action: "model tasks", file: book.file, tasks: book.entries(), standings }, [
        `${book.entries().length} task(s) in ${book.file}`,
      ]);
    });
  });
}

/**
 * `tributary model serve-requests`: serves the buyer's verifiable requests (`--requests-dir`, default
 * `<state-dir>/requests`) at `GET /v1/requests/<hash>`, for challengers (`challenger --requests URL`) until stopped.
 */
export function runServeRequests(raw: Record<string, unknown>, context: WatchCommandContext): Promise<void> {
  return runCommand(raw, async (out) => {
    const options = parseInput(ServeRequestsOptionsSchema, raw, "model serve-requests options");
    const store = await DirectoryRequestStore.open(options.requestsDir ?? path.join(options.stateDir, "requests"));
    const server = await serveRequestStore(store, options);
    out.say(`serving the requests in ${store.dir} at ${server.url}/v1/requests/<hash>; stop with Ctrl-C`);
    await (context.stop ?? signalled());
    await server.close();
    out.done({ action: "model serve-requests", url: server.url, dir: store.dir });
  });
}
