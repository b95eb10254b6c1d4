import { describe, expect, it } from "vitest";
import { InvalidInputError } from "./parse.js";
import { handshakeRefusalOf, parseSignInHeader, SIGN_IN_HEADER, signInHeaders } from "./trainer-handshake.js";

const AUTH = {
  message: "127.0.0.1:8470 wants you to sign in with your Ethereum account:\n0xabc…\n\nline three",
  signature: `0x${"11".repeat(65)}`,
  datasetId: "42",
};

function issuesOf(value: string | string[] | undefined): string[] {
  try {
    parseSignInHeader(value);
  } catch (error) {
    if (error instanceof InvalidInputError) return error.issues.map((issue) => `${issue.path}: ${issue.message}`);
    throw error;
  }
  throw new Error("the header was accepted");
}

describe("the sign-in header of a trainer's socket handshake", () => {
  it("carries the sign-in as standard base64 of its JSON, line breaks and all", () => {
    const headers = signInHeaders(AUTH);
    expect(Object.keys(headers)).toEqual(["x-tributary-sign-in"]);
    const value = headers[SIGN_IN_HEADER] as string;
    expect(value).toMatch(/^[A-Za-z0-9+/]+=*$/);
    expect(JSON.parse(Buffer.from(value, "base64").toString("utf8"))).toEqual(AUTH);
    // A header written by another client (Node's Buffer) parses the same.
    expect(parseSignInHeader(Buffer.from(JSON.stringify(AUTH)).toString("base64"))).toEqual(AUTH);
  });

  it("refuses a missing, repeated, undecodable or incomplete header, naming it", () => {
    const path = "handshake.headers.x-tributary-sign-in";
    expect(issuesOf(undefined)).toEqual([`${path}: missing: sign in in the handshake`]);
    expect(issuesOf(["a", "b"])).toEqual([`${path}: must be given once`]);
    expect(issuesOf("not base64 of anything")[0]).toMatch(new RegExp(`^${path}: is not base64 of JSON: `));
    const partial = Buffer.from(JSON.stringify({ message: "m", datasetId: "1" })).toString("base64");
    expect(issuesOf(partial)).toEqual(["handshake.signature: Invalid input: expected string, received undefined"]);
  });
});

describe("a refused handshake, as socket.io-client reports it", () => {
  /** engine.io's 403 body for a refused long-polling handshake, written out by hand. */
  const engineBody =
    '{"code":4,"message":"{\\"code\\":\\"NOT_DATASET_OWNER\\",\\"message\\":\\"dataset 3 is not yours\\"}"}';

  it("reads the coordinator's code and reason from the refused request", () => {
    const error = Object.assign(new Error("xhr poll error"), {
      description: 403,
      context: { responseText: engineBody },
    });
    expect(handshakeRefusalOf(error)).toEqual({ code: "NOT_DATASET_OWNER", message: "dataset 3 is not yours" });
  });

  it("finds no refusal in a network error or an answer that is not one", () => {
    expect(handshakeRefusalOf(new Error("websocket error"))).toBeUndefined();
    expect(handshakeRefusalOf({ context: { responseText: "<html>bad gateway</html>" } })).toBeUndefined();
    expect(handshakeRefusalOf({ context: { responseText: '{"code":4,"message":"Forbidden"}' } })).toBeUndefined();
    expect(handshakeRefusalOf(undefined)).toBeUndefined();
  });
});
