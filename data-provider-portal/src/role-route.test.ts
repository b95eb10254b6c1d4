import { describe, expect, it } from "vitest";
import { roleOf } from "./role-route.js";

describe("the role in the URL's hash", () => {
  it("names each of the four roles' pages and nothing else", () => {
    expect(["#/owner", "#/researcher", "#/buyer", "#/auditor", "#auditor"].map(roleOf)).toEqual([
      "owner",
      "researcher",
      "buyer",
      "auditor",
      "auditor",
    ]);
    expect(roleOf("")).toBeUndefined();
    expect(roleOf("#/admin")).toBeUndefined();
  });
});
