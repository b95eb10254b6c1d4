import { createHash } from "node:crypto";
import { copyFile, mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseDeployment } from "@tributary/contracts/deployments";
import { connectTrainingJobs, connectTributaryToken } from "@tributary/contracts/typed";
import { initTrainingBackend } from "@tributary/model-runtime";
import { decodeValidationSet } from "@tributary/protocol";
import { JsonRpcProvider, Network, parseEther } from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../coordinator/test-support/coordinator-process.js";
import { DATABASES, type TestDatabase } from "../../coordinator/test-support/databases.js";
import { predictWithSavedModel } from "../../model-runtime/test-support/file-model-loader.js";
import { Person, REPO_ROOT, Transcript } from "./network-people.js";

// docs/run-a-network.md, run as it is written: a chain node, a deployer, an operator running the coordinator on
// PostgreSQL, three data owners, a researcher and an auditor, each in a home directory of its own (its machine),
// with its own keystore and password, each of their programs a separate OS process started with the documented
// command. Nothing here runs in the test's process but the checks, which read the chain directly.
//
// The transcript goes to the OS temp directory (its path is printed); with TRIBUTARY_NETWORK_TRANSCRIPT=FILE it is
// also written to FILE, which is how docs/run-a-network.transcript.txt is regenerated.

const JOB_SPEC = path.join(REPO_ROOT, "docs/run-a-network.job.json");
/** Hardhat's account #0, which `npx hardhat node` funds and prints: the deployer of a local network. */
const HARDHAT_ACCOUNT_0_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
const REWARD = parseEther("300");
const FINALIZED = 3n;
const OWNERS = [1, 2, 3] as const;

let root: string;
let db: TestDatabase;
let transcript: Transcript;
const people = new Map<string, Person>();
let failed = true;

function person(name: string): Person {
  return people.get(name) as Person;
}

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), "tributary-network-"));
  const names = ["chain", "deployer", "operator", ...OWNERS.map((k) => `owner-${k}`), "researcher", "auditor"];
  transcript = new Transcript(names);
  for (const name of names) {
    const home = path.join(root, name);
    await mkdir(home);
    people.set(name, new Person(name, home, transcript, `password of ${name}`));
  }
  db = await (DATABASES.find((database) => database.name === "postgresql") as (typeof DATABASES)[number]).setup();
});

afterAll(async () => {
  // Everyone's processes first (trainers, coordinator, any command still running), the chain node last.
  await Promise.all([...people.values()].filter((p) => p.name !== "chain").map((p) => p.stopAll()));
  await people.get("chain")?.stopAll();
  const file = path.join(tmpdir(), `tributary-network-${path.basename(root)}.transcript.txt`);
  await transcript?.write(file);
  if (process.env.TRIBUTARY_NETWORK_TRANSCRIPT !== undefined) {
    await transcript.write(path.resolve(REPO_ROOT, process.env.TRIBUTARY_NETWORK_TRANSCRIPT));
  }
  process.stdout.write(`network transcript: ${file}\n`);
  if (failed) process.stdout.write(`${transcript.lines.join("\n")}\n`);
  await db?.cleanup();
  await rm(root, { recursive: true, force: true });
});

/** The address `key new`/`key import` reports for a keystore it wrote. */
function keyAddress(stdout: string): string {
  const match = /the encrypted key of (0x[0-9a-fA-F]{40})/.exec(stdout);
  if (match === null) throw new Error(`no address in: ${stdout}`);
  return (match[1] as string).toLowerCase();
}

/** `npx hardhat node` prints twenty accounts: the transcript keeps the first, the deployer's. */
function chainLines(): (line: string) => boolean {
  let keys = 0;
  return (line) => /^Started HTTP|^Account #0:/.test(line) || (/^Private Key:/.test(line) && keys++ === 0);
}

describe("a network of several machines (docs/run-a-network.md)", () => {
  it("chain node, deployer, coordinator on PostgreSQL, three owners, a researcher and an auditor, each with their own keys and processes, through ledger verify and claims", async () => {
    const chain = person("chain");
    const deployer = person("deployer");
    const operator = person("operator");
    const researcher = person("researcher");
    const auditor = person("auditor");
    const owners = OWNERS.map((k) => person(`owner-${k}`));

    transcript.note("the chain: a Hardhat node (any EVM JSON-RPC endpoint will do)");
    const rpcPort = await freePort();
    const node = chain.hardhatNode(["--hostname", "127.0.0.1", "--port", String(rpcPort)], chainLines());
    await node.waitFor(/^Started HTTP and WebSocket JSON-RPC server/, "JSON-RPC server", 120_000);
    const rpc = `http://127.0.0.1:${rpcPort}`;

    transcript.note("everyone makes a key of their own (the deployer imports Hardhat's funded account #0)");
    const [, operatorKey, researcherKey, auditorKey, ...ownerKeys] = await Promise.all([
      deployer.run(["key", "import", "--out", "deployer.json"], { stdin: `${HARDHAT_ACCOUNT_0_KEY}\n` }),
      ...[operator, researcher, auditor, ...owners].map((p) => p.run(["key", "new", "--out", `${p.name}.json`])),
    ]);
    const address = {
      operator: keyAddress(operatorKey?.stdout ?? ""),
      researcher: keyAddress(researcherKey?.stdout ?? ""),
      auditor: keyAddress(auditorKey?.stdout ?? ""),
      owners: ownerKeys.map((key) => keyAddress(key.stdout)),
    };

    transcript.note("the deployer deploys the contracts and hands out the deployment file, TRIB and ether for gas");
    await deployer.run(["deploy", "--rpc", rpc, "--keystore", "deployer.json", "--out", "deployment.json"]);
    const deploymentFile = path.join(deployer.home, "deployment.json");
    for (const p of [operator, researcher, auditor, ...owners]) {
      await copyFile(deploymentFile, path.join(p.home, "deployment.json"));
    }
    const chainFlags = ["--rpc", rpc, "--deployment", "deployment.json"];
    const transfer = (to: string, ...amounts: string[]) =>
      deployer.run(["token", "transfer", ...chainFlags, "--keystore", "deployer.json", "--to", to, ...amounts]);
    await transfer(address.operator, "--ether", "1");
    await transfer(address.researcher, "--amount", "300", "--ether", "1");
    for (const owner of address.owners) await transfer(owner, "--ether", "0.1");

    transcript.note("the operator runs the coordinator on PostgreSQL with its own sender key");
    const coordinatorPort = await freePort();
    const coordinatorProcess = operator.start(
      [
        "coordinator",
        ...chainFlags,
        "--keystore",
        "operator.json",
        "--confirmations",
        "0",
        "--mode",
        "development",
        "--port",
        String(coordinatorPort),
        "--data-dir",
        "coordinator-data",
      ],
      { env: db.env, show: (line) => !line.startsWith("[Nest]") },
    );
    await coordinatorProcess.waitFor(/^coordinator listening on/, "coordinator listening", 120_000);
    const coordinator = `http://127.0.0.1:${coordinatorPort}`;
    expect(coordinatorProcess.stdout).toContain("database: postgresql");

    transcript.note("each data owner enrols its own data and starts its trainer agent next to it");
    await Promise.all(
      owners.map((owner, i) => owner.run(["sample-data", "--out", "data", "--owner", `${i + 1}/${OWNERS.length}`])),
    );
    const datasetIds: string[] = [];
    const trainers = [];
    for (const owner of owners) {
      const enrolled = await owner.run([
        "dataset",
        "enrol",
        "data",
        ...chainFlags,
        "--keystore",
        `${owner.name}.json`,
        "--price-per-round",
        "5",
        "--epsilon",
        "10",
        "--delta",
        "1e-5",
        "--coordinator",
        coordinator,
      ]);
      const id = /^enrolled dataset (\d+) /m.exec(enrolled.stdout)?.[1];
      const command = /^ {2}tributary (trainer .*)$/m.exec(enrolled.stdout)?.[1];
      if (id === undefined || command === undefined) throw new Error(`enrol printed:\n${enrolled.stdout}`);
      datasetIds.push(id);
      const trainer = owner.start([
        ...command.split(" "),
        "--keystore",
        `${owner.name}.json`,
        "--state-dir",
        "trainer-state",
      ]);
      const connected = trainer.waitFor(/^\[trainer\] connected/, "trainer connected", 120_000);
      // Awaited below with the others; should a later enrolment throw first, this one must not go unhandled.
      connected.catch(() => {});
      trainers.push(connected);
    }
    await Promise.all(trainers);

    transcript.note("the researcher encodes its held-out records, creates the job, follows it and downloads the model");
    await copyFile(JOB_SPEC, path.join(researcher.home, "job.json"));
    await researcher.run(["sample-data", "--out", "heldout", "--researcher"]);
    await researcher.run(["job", "validation-set", "heldout", "--spec", "job.json", "--out", "validation.bin"]);
    const researcherFlags = [...chainFlags, "--keystore", "researcher.json", "--coordinator", coordinator];
    const created = await researcher.run([
      "job",
      "create",
      "job.json",
      "--validation-set",
      "validation.bin",
      "--reward",
      "300",
      "--datasets",
      datasetIds.join(","),
      "--auditors",
      address.auditor,
      ...researcherFlags,
    ]);
    const jobId = /^job (\d+) created and adopted/m.exec(created.stdout)?.[1] as string;
    expect(jobId).toMatch(/^\d+$/);
    const watched = await researcher.run(["job", "watch", jobId, ...chainFlags, "--coordinator", coordinator]);
    expect(watched.stdout).toMatch(
      new RegExp(`^job ${jobId} completed after 2 rounds: .*Finalized on TrainingJobs$`, "m"),
    );
    await researcher.run(["job", "model", jobId, "--out", "model", ...researcherFlags]);

    transcript.note("the auditor verifies the ledger against the chain, recomputing every score");
    const verified = await auditor.run([
      "ledger",
      "verify",
      "--job",
      jobId,
      ...chainFlags,
      "--keystore",
      "auditor.json",
      "--coordinator",
      coordinator,
      "--recompute-scores",
    ]);
    expect(verified.stdout).toMatch(/^OK: every root, hash and payout in the ledger agrees with the chain/m);

    transcript.note("each owner claims its payouts; owner 1 checks what its privacy budget has spent");
    const claims = await Promise.all(
      owners.map((owner) =>
        owner.run(["claim", "--all", ...chainFlags, "--keystore", `${owner.name}.json`, "--coordinator", coordinator]),
      ),
    );
    for (const claim of claims) expect(claim.stdout).toMatch(new RegExp(`^ {2}${jobId} +claimed `, "m"));
    await (owners[0] as Person).run([
      "dataset",
      "budget",
      datasetIds[0] as string,
      "--state-dir",
      "trainer-state",
      ...chainFlags,
    ]);

    // Independent of every command's output: the chain itself, read here.
    const deployment = parseDeployment(JSON.parse(await readFile(deploymentFile, "utf8")));
    const provider = new JsonRpcProvider(rpc, undefined, {
      cacheTimeout: -1,
      staticNetwork: Network.from(deployment.chainId),
    });
    try {
      const jobs = connectTrainingJobs(deployment.contracts.TrainingJobs, provider);
      const token = connectTributaryToken(deployment.contracts.TributaryToken, provider);
      if ((await jobs.reclaimable(BigInt(jobId))) > 0n) {
        transcript.note("the researcher takes back what the payouts and the fee leave of the escrow");
        await researcher.run(["job", "reclaim", jobId, ...researcherFlags]);
      }
      const job = await jobs.getJob(BigInt(jobId));
      expect(job.status).toBe(FINALIZED);
      expect(job.researcher.toLowerCase()).toBe(address.researcher);
      expect(job.coordinator.toLowerCase()).toBe(address.operator);
      expect(job.escrow).toBe(REWARD);
      expect(job.claimed).toBe(job.payoutTotal);
      expect(job.claimed + job.fee + job.refunded).toBe(job.escrow);
      // Each owner started with no TRIB: it now holds exactly what it claimed from the job, and all three did.
      const claimedEvents = await jobs.queryFilter(jobs.filters.Claimed(BigInt(jobId)), deployment.startBlock);
      const claimedBy = new Map(claimedEvents.map((event) => [event.args.trainer.toLowerCase(), event.args.amount]));
      expect([...claimedBy.keys()].sort()).toEqual([...address.owners].sort());
      for (const owner of address.owners) {
        expect(await jobs.isClaimed(BigInt(jobId), owner)).toBe(true);
        expect(claimedBy.get(owner)).toBeGreaterThan(0n);
        expect(await token.balanceOf(owner)).toBe(claimedBy.get(owner));
      }
      // The researcher was given exactly the reward: what it holds now is what came back.
      expect(await token.balanceOf(address.researcher)).toBe(job.refunded);

      // The downloaded weights are the model the chain anchored for the last round, and the tfjs files predict well.
      const anchors = await jobs.queryFilter(jobs.filters.RoundAnchored(BigInt(jobId)), deployment.startBlock);
      const last = anchors.find((event) => event.args.round === 2n);
      const weights = await readFile(path.join(researcher.home, "model/weights.f32"));
      expect(`0x${createHash("sha256").update(weights).digest("hex")}`).toBe(last?.args.modelHash);
      const heldOut = decodeValidationSet(new Uint8Array(await readFile(path.join(researcher.home, "validation.bin"))));
      const size = heldOut.featureShape.reduce((product, dim) => product * dim, 1);
      await initTrainingBackend();
      const rows = Array.from({ length: 200 }, (_, i) => [...heldOut.features.subarray(i * size, (i + 1) * size)]);
      const predictions = await predictWithSavedModel(path.join(researcher.home, "model/model.json"), rows, [size]);
      const correct = predictions.filter((p, i) => p.indexOf(Math.max(...p)) === heldOut.labels[i]).length;
      // Chance is 10 %; two DP-SGD rounds at ε = 8 reach ~75 % here.
      expect(correct / rows.length).toBeGreaterThan(0.5);
    } finally {
      provider.destroy();
    }
    failed = false;
  }, 600_000);
});
