import { readFile } from "node:fs/promises";
import { COORDINATOR_ENV_VARS } from "@tributary/coordinator";
import { describe, expect, it } from "vitest";
import { CLI_ENV_VARS } from "./cli-env.js";

/** The variables a table of docs/operations.md lists: the first cell of each row, `NAME` in backquotes. */
async function documented(heading: string): Promise<string[]> {
  const text = await readFile(new URL("../../docs/operations.md", import.meta.url), "utf8");
  const section = text.split(`### ${heading}`)[1]?.split("\n#")[0] ?? "";
  return [...section.matchAll(/^\| `([A-Z][A-Z0-9_]+)` \|/gm)].map((match) => match[1] as string);
}

describe("docs/operations.md", () => {
  it("lists every environment variable the coordinator's configuration reads, and no other", async () => {
    expect(COORDINATOR_ENV_VARS.length).toBeGreaterThan(30);
    expect((await documented("The coordinator")).sort()).toEqual([...COORDINATOR_ENV_VARS].sort());
  });

  it("lists every environment variable the CLI reads (the trainer's, provider's and router's included), and no other", async () => {
    expect((await documented("The CLI")).sort()).toEqual([...CLI_ENV_VARS].sort());
  });
});
