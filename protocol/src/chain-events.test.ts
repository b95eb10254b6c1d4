import { describe, expect, it } from "vitest";
import { isAppliedChainEvent, parseChainEvent } from "./chain-events.js";
import { InvalidInputError } from "./parse.js";

const OWNER = "0xAbCdEf0123456789aBcDeF0123456789AbCdEf01";
const HASH = `0x${"Ab".repeat(32)}`;

describe("parseChainEvent", () => {
  it("turns decoded arguments into the stored form: decimal strings, lower-case hex, counts as numbers", () => {
    const registered = parseChainEvent("DatasetRegistered", {
      datasetId: 7n,
      owner: OWNER,
      commitment: HASH,
      metadataURI: "ipfs://meta",
      pricePerRound: 10n ** 18n,
      epsilon: 3n * 10n ** 18n,
      delta: 10n ** 13n,
    });
    expect(registered).toEqual({
      name: "DatasetRegistered",
      args: {
        datasetId: "7",
        owner: "0xabcdef0123456789abcdef0123456789abcdef01",
        commitment: `0x${"ab".repeat(32)}`,
        metadataURI: "ipfs://meta",
        pricePerRound: "1000000000000000000",
        epsilon: "3000000000000000000",
        delta: "10000000000000",
      },
    });
    const created = parseChainEvent("JobCreated", {
      jobId: 2n ** 255n,
      researcher: OWNER,
      coordinator: OWNER,
      paymentToken: OWNER,
      modelSpecHash: HASH,
      datasetIds: [1n, 12n],
      rounds: 5n,
      reward: 123n,
      feeBps: 250n,
    });
    expect(created.args).toMatchObject({
      jobId: "57896044618658097711785492504343953926634992332820282019728792003956564819968",
      datasetIds: ["1", "12"],
      rounds: 5,
      feeBps: 250,
    });
  });

  it("names the event and the field that is wrong", () => {
    const parse = () =>
      parseChainEvent("RoundAnchored", { jobId: 1n, round: -1n, updatesRoot: HASH, modelHash: "0x12" });
    expect(parse).toThrow(InvalidInputError);
    expect(parse).toThrow(/RoundAnchored event\.round: /);
    expect(parse).toThrow(/RoundAnchored event\.modelHash: must be 32 bytes of hex/);
    expect(() => parseChainEvent("JobCancelled", { jobId: 2n ** 256n, refund: 0n })).toThrow(
      /JobCancelled event\.jobId: must fit in uint256/,
    );
    expect(() => parseChainEvent("JobCreated", { jobId: 1n })).toThrow(/JobCreated event\.researcher: /);
  });

  it("applies dataset and job events only, not claims or parameter changes", () => {
    expect(["DatasetTransferred", "JobFinalized", "Claimed", "ParametersUpdated"].map(isAppliedChainEvent)).toEqual([
      true,
      true,
      false,
      false,
    ]);
  });
});
