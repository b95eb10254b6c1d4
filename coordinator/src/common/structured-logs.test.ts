import { Logger } from "@nestjs/common";
import { type MessageSigner, SIGN_IN_HEADER, signIn, signInHeaders } from "@tributary/protocol";
import { Wallet } from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DATABASES, type TestDatabase } from "../../test-support/databases.js";
import { type OneRoundJob, runOneRoundJob } from "../../test-support/one-round-job.js";
import { type Coordinator, createCoordinator } from "../create-coordinator.js";

const SESSION_SECRET = `0x${"5e".repeat(32)}`;
const METRICS_TOKEN = "metrics-token-never-logged-0001";

/** A signer that keeps every signature it makes, to look for them in the log afterwards. */
function recording(wallet: MessageSigner, signatures: string[]): MessageSigner {
  return {
    address: wallet.address,
    signMessage: async (message: string) => {
      const signature = await wallet.signMessage(message);
      signatures.push(signature);
      return signature;
    },
  };
}

describe("the coordinator's logs", () => {
  let db: TestDatabase;
  let coordinator: Coordinator;
  let job: OneRoundJob;
  const lines: string[] = [];
  const signatures: string[] = [];
  const secrets: string[] = [SESSION_SECRET, METRICS_TOKEN];
  const wallet = Wallet.createRandom();

  beforeAll(async () => {
    db = await (DATABASES[0] as (typeof DATABASES)[number]).setup();
    coordinator = await createCoordinator(
      {
        port: 0,
        dataDir: db.dataDir,
        tickSeconds: 0.1,
        sessionSecret: SESSION_SECRET,
        metricsToken: METRICS_TOKEN,
        logLevel: "debug",
      },
      { logDestination: { write: (line: string) => void lines.push(line) } },
    );
    // A researcher signs in (a SIWE signature in the body), and uses its session (a bearer token in a header).
    const session = await signIn(coordinator.url, recording(wallet, signatures), 31_337);
    secrets.push(session.token);
    await fetch(`${coordinator.url}/jobs`, {
      headers: { authorization: `Bearer ${session.token}`, "x-request-id": "logs-test-1" },
    });
    // Prometheus's scrape with the metrics token, and a refused one.
    await fetch(`${coordinator.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    await fetch(`${coordinator.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}-wrong` } });
    // A trainer's sign-in header sent to a REST route, and a signature in a path.
    const header = signInHeaders({
      message: "not a sign-in",
      signature: await recording(wallet, signatures).signMessage("handshake"),
      datasetId: "1",
    } as never);
    secrets.push(header[SIGN_IN_HEADER] as string);
    await fetch(`${coordinator.url}/health`, { headers: header });
    await fetch(`${coordinator.url}/models/${signatures[0]}`);
    // A developer logging what must never be logged, through the application's logger.
    new Logger("careless").warn({
      msg: "request carrying secrets",
      headers: { authorization: `Bearer ${session.token}`, [SIGN_IN_HEADER]: header[SIGN_IN_HEADER] },
      privateKey: wallet.privateKey,
      config: { sessionSecret: SESSION_SECRET, chain: { senderPrivateKey: wallet.privateKey } },
    });
    new Logger("careless").error(`signed ${signatures[0]} with session ${session.token} under ${SESSION_SECRET}`);
    secrets.push(wallet.privateKey);
    // A round over the socket: the trainer's lines carry its address, the job and the round.
    job = await runOneRoundJob(coordinator.url);
    job.trainer.close();
  }, 90_000);

  afterAll(async () => {
    await coordinator?.close();
    await db?.cleanup();
  });

  it("writes one JSON object per line", () => {
    expect(lines.length).toBeGreaterThan(20);
    for (const line of lines) expect(() => JSON.parse(line), line).not.toThrow();
  });

  it("never shows a session token, a SIWE signature, the metrics token, a sign-in header, a key or a secret", () => {
    const text = lines.join("");
    expect(signatures.length).toBeGreaterThanOrEqual(2);
    for (const secret of [...secrets, ...signatures]) {
      expect(text).not.toContain(secret);
      expect(text.toLowerCase()).not.toContain(secret.toLowerCase().replace(/^0x/, ""));
    }
    const careless = lines.map((line) => JSON.parse(line)).find((line) => line.context === "careless");
    expect(careless?.headers.authorization).toBe("[redacted]");
    expect(careless?.privateKey).toBe("[redacted]");
    expect(careless?.config.chain.senderPrivateKey).toBe("[redacted]");
  });

  it("carries the request id on the access log, and the trainer, job and round on the socket's lines", () => {
    const parsed = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    const access = parsed.find((line) => line.context === "http" && line.requestId === "logs-test-1");
    expect(access).toMatchObject({ method: "GET", path: "/jobs", route: "/jobs", status: 200, service: "coordinator" });
    const accepted = parsed.find((line) => typeof line.msg === "string" && line.msg.includes("accepted"));
    expect(accepted).toMatchObject({ trainer: job.trainer.address, jobId: job.jobId, round: 0, context: "updates" });
    const driven = parsed.filter((line) => line.context === "rounds" && line.jobId === job.jobId);
    expect(driven.length).toBeGreaterThan(0);
  });
});
