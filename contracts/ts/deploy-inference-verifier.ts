import type { HardhatEthers, HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { connectGroth16InferenceProofVerifier } from "../typed/connect.js";

/** What deploying one model's proof verifier needs: its circuit's manifest fields (zk-proofs' `CircuitManifest`). */
export interface InferenceVerifierModel {
  /** The snarkjs-generated Groth16 verifier's contract (contracts/src/verification/generated/). */
  readonly verifierContract: string;
  /** The model's hash on ModelRegistry. */
  readonly modelHash: string;
  readonly quantisedModelHash: string;
  readonly inputSize: number;
  readonly outputSize: number;
}

/**
 * Deploys a model's generated Groth16 verifier and the `Groth16InferenceProofVerifier` around it, and returns the
 * latter, typed; governance then registers it with `OptimisticVerifier.setProofVerifier(modelId, address)`.
 */
export async function deployInferenceVerifier(
  ethers: HardhatEthers,
  deployer: HardhatEthersSigner,
  model: InferenceVerifierModel,
) {
  const groth16 = await (await ethers.deployContract(model.verifierContract, [], deployer)).waitForDeployment();
  const wrapper = await (
    await ethers.deployContract(
      "Groth16InferenceProofVerifier",
      [await groth16.getAddress(), model.modelHash, model.quantisedModelHash, model.inputSize, model.outputSize],
      deployer,
    )
  ).waitForDeployment();
  return connectGroth16InferenceProofVerifier(await wrapper.getAddress(), deployer);
}
