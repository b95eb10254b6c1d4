import { expect } from "chai";
import { Signature } from "ethers";
import { defined, ethers, networkHelpers, units } from "../helpers/system.js";

const CAP = units(1_000_000);

async function tokenFixture() {
  const [admin, minter, alice, bob, carol] = await ethers.getSigners();
  const accounts = {
    admin: defined(admin, "admin"),
    minter: defined(minter, "minter"),
    alice: defined(alice, "alice"),
    bob: defined(bob, "bob"),
    carol: defined(carol, "carol"),
  };
  const token = await ethers.deployContract("TributaryToken", [CAP, accounts.admin.address]);
  await token.connect(accounts.admin).grantRole(await token.MINTER_ROLE(), accounts.minter.address);
  return { token, ...accounts };
}

const PERMIT_TYPES = {
  Permit: [
    { name: "owner", type: "address" },
    { name: "spender", type: "address" },
    { name: "value", type: "uint256" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint256" },
  ],
};

describe("TributaryToken", () => {
  describe("deployment", () => {
    it("is the capped Tributary (TRIB) token with 18 decimals, administered by the given admin", async () => {
      const { token, admin } = await networkHelpers.loadFixture(tokenFixture);
      expect(await token.name()).to.equal("Tributary");
      expect(await token.symbol()).to.equal("TRIB");
      expect(await token.decimals()).to.equal(18n);
      expect(await token.cap()).to.equal(CAP);
      expect(await token.totalSupply()).to.equal(0n);
      expect(await token.hasRole(await token.DEFAULT_ADMIN_ROLE(), admin.address)).to.equal(true);
      expect(await token.MINTER_ROLE()).to.equal(ethers.id("MINTER_ROLE"));
    });

    it("rejects a zero cap with TributaryTokenInvalidCap", async () => {
      const factory = await ethers.getContractFactory("TributaryToken");
      const [admin] = await ethers.getSigners();
      await expect(factory.deploy(0n, defined(admin, "admin").address))
        .to.be.revertedWithCustomError(factory, "TributaryTokenInvalidCap")
        .withArgs(0n);
    });

    it("rejects a zero admin with TributaryTokenInvalidAdmin", async () => {
      const factory = await ethers.getContractFactory("TributaryToken");
      await expect(factory.deploy(CAP, ethers.ZeroAddress))
        .to.be.revertedWithCustomError(factory, "TributaryTokenInvalidAdmin")
        .withArgs(ethers.ZeroAddress);
    });
  });

  describe("minting", () => {
    it("lets a minter mint up to the cap and emits Transfer from the zero address", async () => {
      const { token, minter, alice } = await networkHelpers.loadFixture(tokenFixture);
      await expect(token.connect(minter).mint(alice.address, CAP))
        .to.emit(token, "Transfer")
        .withArgs(ethers.ZeroAddress, alice.address, CAP);
      expect(await token.balanceOf(alice.address)).to.equal(CAP);
      expect(await token.totalSupply()).to.equal(CAP);
    });

    it("refuses to exceed the cap with ERC20ExceededCap(increasedSupply, cap)", async () => {
      const { token, minter, alice } = await networkHelpers.loadFixture(tokenFixture);
      await token.connect(minter).mint(alice.address, CAP - 5n);
      await expect(token.connect(minter).mint(alice.address, 6n))
        .to.be.revertedWithCustomError(token, "ERC20ExceededCap")
        .withArgs(CAP + 1n, CAP);
    });

    it("refuses accounts without MINTER_ROLE, the admin included", async () => {
      const { token, admin, alice } = await networkHelpers.loadFixture(tokenFixture);
      const role = await token.MINTER_ROLE();
      for (const caller of [admin, alice]) {
        await expect(token.connect(caller).mint(alice.address, 1n))
          .to.be.revertedWithCustomError(token, "AccessControlUnauthorizedAccount")
          .withArgs(caller.address, role);
      }
    });

    it("only the admin grants and revokes the minter role", async () => {
      const { token, admin, minter, alice } = await networkHelpers.loadFixture(tokenFixture);
      const role = await token.MINTER_ROLE();
      await expect(token.connect(alice).grantRole(role, alice.address))
        .to.be.revertedWithCustomError(token, "AccessControlUnauthorizedAccount")
        .withArgs(alice.address, await token.DEFAULT_ADMIN_ROLE());
      await expect(token.connect(admin).revokeRole(role, minter.address))
        .to.emit(token, "RoleRevoked")
        .withArgs(role, minter.address, admin.address);
      await expect(token.connect(minter).mint(alice.address, 1n))
        .to.be.revertedWithCustomError(token, "AccessControlUnauthorizedAccount")
        .withArgs(minter.address, role);
    });
  });

  describe("burning", () => {
    it("lets a holder burn and frees room under the cap", async () => {
      const { token, minter, alice } = await networkHelpers.loadFixture(tokenFixture);
      await token.connect(minter).mint(alice.address, CAP);
      await expect(token.connect(alice).burn(100n))
        .to.emit(token, "Transfer")
        .withArgs(alice.address, ethers.ZeroAddress, 100n);
      expect(await token.totalSupply()).to.equal(CAP - 100n);
      await token.connect(minter).mint(alice.address, 100n);
      expect(await token.totalSupply()).to.equal(CAP);
    });

    it("burns from another account only within the allowance", async () => {
      const { token, minter, alice, bob } = await networkHelpers.loadFixture(tokenFixture);
      await token.connect(minter).mint(alice.address, 1_000n);
      await token.connect(alice).approve(bob.address, 300n);
      await expect(token.connect(bob).burnFrom(alice.address, 301n))
        .to.be.revertedWithCustomError(token, "ERC20InsufficientAllowance")
        .withArgs(bob.address, 300n, 301n);
      await token.connect(bob).burnFrom(alice.address, 300n);
      expect(await token.balanceOf(alice.address)).to.equal(700n);
      expect(await token.allowance(alice.address, bob.address)).to.equal(0n);
    });

    it("cannot burn more than the balance", async () => {
      const { token, minter, alice } = await networkHelpers.loadFixture(tokenFixture);
      await token.connect(minter).mint(alice.address, 10n);
      await expect(token.connect(alice).burn(11n))
        .to.be.revertedWithCustomError(token, "ERC20InsufficientBalance")
        .withArgs(alice.address, 10n, 11n);
    });
  });

  describe("permit (EIP-2612)", () => {
    async function signPermit(
      fixture: Awaited<ReturnType<typeof tokenFixture>>,
      signer: (typeof fixture)["alice"],
      owner: string,
      spender: string,
      value: bigint,
      deadline: bigint,
    ) {
      const { token } = fixture;
      const { chainId } = await ethers.provider.getNetwork();
      const domain = { name: "Tributary", version: "1", chainId, verifyingContract: await token.getAddress() };
      const nonce = await token.nonces(owner);
      return Signature.from(
        await signer.signTypedData(domain, PERMIT_TYPES, { owner, spender, value, nonce, deadline }),
      );
    }

    it("sets an allowance from the owner's EIP-712 signature and consumes the nonce", async () => {
      const fixture = await networkHelpers.loadFixture(tokenFixture);
      const { token, alice, bob, carol } = fixture;
      const deadline = BigInt(await networkHelpers.time.latest()) + 3600n;
      const sig = await signPermit(fixture, alice, alice.address, bob.address, 500n, deadline);
      // Anyone (here carol) may submit the signed permit.
      await expect(token.connect(carol).permit(alice.address, bob.address, 500n, deadline, sig.v, sig.r, sig.s))
        .to.emit(token, "Approval")
        .withArgs(alice.address, bob.address, 500n);
      expect(await token.allowance(alice.address, bob.address)).to.equal(500n);
      expect(await token.nonces(alice.address)).to.equal(1n);
      // The same signature cannot be replayed: the nonce moved on, so it recovers to another address.
      await expect(
        token.connect(carol).permit(alice.address, bob.address, 500n, deadline, sig.v, sig.r, sig.s),
      ).to.be.revertedWithCustomError(token, "ERC2612InvalidSigner");
    });

    it("rejects an expired permit with ERC2612ExpiredSignature(deadline)", async () => {
      const fixture = await networkHelpers.loadFixture(tokenFixture);
      const { token, alice, bob } = fixture;
      const deadline = BigInt(await networkHelpers.time.latest()) + 10n;
      const sig = await signPermit(fixture, alice, alice.address, bob.address, 500n, deadline);
      await networkHelpers.time.increase(11);
      await expect(token.permit(alice.address, bob.address, 500n, deadline, sig.v, sig.r, sig.s))
        .to.be.revertedWithCustomError(token, "ERC2612ExpiredSignature")
        .withArgs(deadline);
    });

    it("rejects a permit signed by someone other than the owner with ERC2612InvalidSigner(signer, owner)", async () => {
      const fixture = await networkHelpers.loadFixture(tokenFixture);
      const { token, alice, bob, carol } = fixture;
      const deadline = BigInt(await networkHelpers.time.latest()) + 3600n;
      const sig = await signPermit(fixture, carol, alice.address, bob.address, 500n, deadline);
      await expect(token.permit(alice.address, bob.address, 500n, deadline, sig.v, sig.r, sig.s))
        .to.be.revertedWithCustomError(token, "ERC2612InvalidSigner")
        .withArgs(carol.address, alice.address);
    });
  });

  describe("votes (ERC-5805, timestamp clock)", () => {
    it("uses block timestamps as its clock", async () => {
      const { token } = await networkHelpers.loadFixture(tokenFixture);
      expect(await token.CLOCK_MODE()).to.equal("mode=timestamp");
      expect(await token.clock()).to.equal(BigInt(await networkHelpers.time.latest()));
    });

    it("counts votes only once delegated, and moves them with transfers", async () => {
      const { token, minter, alice, bob, carol } = await networkHelpers.loadFixture(tokenFixture);
      await token.connect(minter).mint(alice.address, 1_000n);
      expect(await token.getVotes(alice.address)).to.equal(0n);

      await expect(token.connect(alice).delegate(bob.address))
        .to.emit(token, "DelegateChanged")
        .withArgs(alice.address, ethers.ZeroAddress, bob.address)
        .and.to.emit(token, "DelegateVotesChanged")
        .withArgs(bob.address, 0n, 1_000n);
      expect(await token.delegates(alice.address)).to.equal(bob.address);
      expect(await token.getVotes(bob.address)).to.equal(1_000n);

      await token.connect(carol).delegate(carol.address);
      await token.connect(alice).transfer(carol.address, 400n);
      expect(await token.getVotes(bob.address)).to.equal(600n);
      expect(await token.getVotes(carol.address)).to.equal(400n);
    });

    it("answers getPastVotes and getPastTotalSupply at past timestamps, and refuses the present", async () => {
      const { token, minter, alice } = await networkHelpers.loadFixture(tokenFixture);
      await token.connect(alice).delegate(alice.address);
      await token.connect(minter).mint(alice.address, 100n);
      const afterFirstMint = BigInt(await networkHelpers.time.latest());
      await networkHelpers.time.increase(100);
      await token.connect(minter).mint(alice.address, 50n);
      const afterSecondMint = BigInt(await networkHelpers.time.latest());
      await networkHelpers.mine();

      expect(await token.getPastVotes(alice.address, afterFirstMint - 1n)).to.equal(0n);
      expect(await token.getPastVotes(alice.address, afterFirstMint)).to.equal(100n);
      expect(await token.getPastVotes(alice.address, afterFirstMint + 50n)).to.equal(100n);
      expect(await token.getPastVotes(alice.address, afterSecondMint)).to.equal(150n);
      expect(await token.getPastTotalSupply(afterFirstMint)).to.equal(100n);

      const now = await token.clock();
      await expect(token.getPastVotes(alice.address, now))
        .to.be.revertedWithCustomError(token, "ERC5805FutureLookup")
        .withArgs(now, now);
    });

    it("delegates by EIP-712 signature (delegateBySig)", async () => {
      const { token, minter, alice, bob, carol } = await networkHelpers.loadFixture(tokenFixture);
      await token.connect(minter).mint(alice.address, 70n);
      const { chainId } = await ethers.provider.getNetwork();
      const domain = { name: "Tributary", version: "1", chainId, verifyingContract: await token.getAddress() };
      const expiry = BigInt(await networkHelpers.time.latest()) + 3600n;
      const types = {
        Delegation: [
          { name: "delegatee", type: "address" },
          { name: "nonce", type: "uint256" },
          { name: "expiry", type: "uint256" },
        ],
      };
      const sig = Signature.from(
        await alice.signTypedData(domain, types, { delegatee: bob.address, nonce: 0n, expiry }),
      );
      await expect(token.connect(carol).delegateBySig(bob.address, 0n, expiry, sig.v, sig.r, sig.s))
        .to.emit(token, "DelegateChanged")
        .withArgs(alice.address, ethers.ZeroAddress, bob.address);
      expect(await token.getVotes(bob.address)).to.equal(70n);
      await expect(token.delegateBySig(bob.address, 0n, expiry, sig.v, sig.r, sig.s))
        .to.be.revertedWithCustomError(token, "InvalidAccountNonce")
        .withArgs(alice.address, 1n);
    });
  });
});
