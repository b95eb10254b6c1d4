/** @vitest-environment jsdom */
import { cleanup, fireEvent, render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";
import type { PortalConfig } from "../api/portal-config.js";
import { WalletProvider } from "../chain/wallet-context.js";
import { EnrolForm } from "./enrol-form.js";

afterEach(cleanup);

const CONFIG: PortalConfig = {
  coordinatorUrl: "http://127.0.0.1:1",
  mode: "production",
  chainId: 31337,
  contracts: { DatasetRegistry: "0x5FbDB2315678afecb367f032d93F642f64180aa3" },
};

function form() {
  render(
    <WalletProvider config={CONFIG}>
      <EnrolForm onEnrolled={() => {}} />
    </WalletProvider>,
  );
}

/** Picks `files` in the "Dataset files" input, as a person does. */
function pick(files: File[]) {
  fireEvent.change(screen.getByLabelText("Dataset files"), { target: { files } });
}

describe("the enrolment form", () => {
  // The commitment of picked files is checked in picked-files.test.ts and in Chromium (test/e2e/portal-owner.test.ts):
  // under jsdom, ethers refuses Node's hash output as bytes of another realm.
  it("says what the picked files are when they are not one dataset, and asks for a wallet before enrolling", async () => {
    form();
    pick([new File(["a,label\n1,0\n"], "one.csv"), new File(['{"x":[1],"y":0}\n'], "two.jsonl")]);
    expect((await screen.findByRole("alert", {}, { timeout: 5_000 })).textContent).toBe(
      "These files cannot be enrolled: holds csv and jsonl files: choose one in “Format”",
    );
    expect(screen.getByText("Connect your wallet to enrol.")).toBeTruthy();
  });

  it("refuses a file whose records do not parse, and a zero or out-of-range budget, in words naming the field", async () => {
    form();
    pick([new File(["a,label\n1,0\n1,12\n"], "owner.csv")]);
    expect((await screen.findByRole("alert", {}, { timeout: 5_000 })).textContent).toBe(
      "These files cannot be enrolled: owner.csv (line 3): label 12 is not a class index in [0, 10)",
    );
    fireEvent.change(screen.getByLabelText("Privacy budget ε"), { target: { value: "0" } });
    expect(screen.getByText(/enrolment terms\.epsilon: Too small: expected number to be >0/)).toBeTruthy();
    fireEvent.change(screen.getByLabelText("Privacy budget ε"), { target: { value: "3" } });
    fireEvent.change(screen.getByLabelText("Privacy budget δ"), { target: { value: "1" } });
    expect(screen.getByText(/enrolment terms\.delta: Too big: expected number to be <1/)).toBeTruthy();
    fireEvent.change(screen.getByLabelText("Price per round (TRIB)"), { target: { value: "-1" } });
    expect(
      screen.getByText(/enrolment terms\.pricePerRound: must be an amount of tokens such as 5, 0\.25 or 0/),
    ).toBeTruthy();
  });
});
