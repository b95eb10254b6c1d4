import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger } from "./create-logger.js";
import { withLogContext } from "./log-context.js";

/** A stream that keeps what is written to it. */
function capture(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return { stream, text: () => chunks.join("") };
}

describe("createLogger", () => {
  it("writes JSON lines off a terminal, with the service, the level and the context's identifiers", () => {
    const out = capture();
    const logger = createLogger({ service: "router", terminal: false, destination: out.stream });
    withLogContext({ requestId: "r-1" }, () => withLogContext({ jobId: "7", round: 2 }, () => logger.info("hello")));
    const line = JSON.parse(out.text()) as Record<string, unknown>;
    expect(line).toMatchObject({ service: "router", level: 30, msg: "hello", requestId: "r-1", jobId: "7", round: 2 });
    expect(Date.parse(line.time as string)).toBeGreaterThan(0);
  });

  it("writes pretty lines for a person on a terminal, secrets scrubbed all the same", () => {
    const out = capture();
    const logger = createLogger({
      service: "provider",
      terminal: true,
      destination: out.stream,
      secrets: ["0xfeedfacefeedfacefeedfacefeedfacefeedfacefeedfacefeedfacefeedface"],
    });
    logger.warn("key FEEDFACEFEEDFACEFEEDFACEFEEDFACEFEEDFACEFEEDFACEFEEDFACEFEEDFACE seen");
    const text = out.text();
    expect(() => JSON.parse(text)).toThrow();
    expect(text).toContain("WARN");
    expect(text).toContain("key [redacted] seen");
    expect(text.toLowerCase()).not.toContain("feedface");
  });

  it("does as told when the format is forced", () => {
    const json = capture();
    createLogger({ service: "s", terminal: true, format: "json", destination: json.stream }).info("x");
    expect(JSON.parse(json.text())).toMatchObject({ msg: "x" });
    const silent = capture();
    createLogger({ service: "s", level: "silent", destination: silent.stream }).error("x");
    expect(silent.text()).toBe("");
  });
});
