import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { expect } from "chai";
import type { BaseContract, ContractTransactionResponse, Interface } from "ethers";
import { ethers } from "./system.js";

type Reverting = { interface: Interface };

/** Shared behaviour: a governance-only function refuses everyone but the admin with the role and arguments. */
export function shouldBeGovernanceOnly<F>(
  load: () => Promise<F & { gov: HardhatEthersSigner; stranger: HardhatEthersSigner }>,
  contractOf: (fixture: F) => BaseContract & Reverting & { DEFAULT_ADMIN_ROLE(): Promise<string> },
  calls: Record<string, (fixture: F, caller: HardhatEthersSigner) => Promise<ContractTransactionResponse>>,
): void {
  for (const [name, call] of Object.entries(calls)) {
    it(`${name} is governance-only (AccessControlUnauthorizedAccount)`, async () => {
      const fixture = await load();
      const contract = contractOf(fixture);
      const adminRole = await contract.DEFAULT_ADMIN_ROLE();
      await expect(call(fixture, fixture.stranger))
        .to.be.revertedWithCustomError(contract, "AccessControlUnauthorizedAccount")
        .withArgs(fixture.stranger.address, adminRole);
      await expect(call(fixture, fixture.gov)).not.to.revert(ethers);
    });
  }
}

/**
 * Attack: a token that calls back into `target` with `reentry` during the payout. The guard must stop it, so the
 * whole payout reverts with `ReentrancyGuardReentrantCall` and nothing is paid.
 */
export async function expectReentrancyBlocked(
  target: BaseContract & Reverting,
  armToken: (callData: string) => Promise<unknown>,
  reentry: string,
  payout: () => Promise<ContractTransactionResponse>,
): Promise<void> {
  await armToken(reentry);
  await expect(payout()).to.be.revertedWithCustomError(target, "ReentrancyGuardReentrantCall");
}

/** A fresh token that re-enters on its next transfer once armed. */
export async function deployReentrantToken() {
  return ethers.deployContract("ReentrantToken");
}
