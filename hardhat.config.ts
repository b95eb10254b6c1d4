import { createRequire } from "node:module";
import hardhatEthers from "@nomicfoundation/hardhat-ethers";
import hardhatEthersChaiMatchers from "@nomicfoundation/hardhat-ethers-chai-matchers";
import hardhatIgnitionEthers from "@nomicfoundation/hardhat-ignition-ethers";
import hardhatMocha from "@nomicfoundation/hardhat-mocha";
import hardhatNetworkHelpers from "@nomicfoundation/hardhat-network-helpers";
import hardhatTypechain from "@nomicfoundation/hardhat-typechain";
import { defineConfig } from "hardhat/config";

// No Solidity compiler can be downloaded on our machines: compile with the one the `solc` npm package ships.
const require = createRequire(import.meta.url);
const solcPath = require.resolve("solc/soljson.js");
const solcVersion: string = require("solc/package.json").version;

const compiler = {
  version: solcVersion,
  path: solcPath,
  settings: { optimizer: { enabled: true, runs: 200 }, evmVersion: "cancun" },
};

export default defineConfig({
  plugins: [
    hardhatEthers,
    hardhatEthersChaiMatchers,
    hardhatMocha,
    hardhatNetworkHelpers,
    hardhatIgnitionEthers,
    hardhatTypechain,
  ],
  solidity: {
    profiles: {
      default: compiler,
      production: compiler,
    },
  },
  typechain: { outDir: "contracts/types" },
  paths: {
    sources: "contracts/src",
    tests: { mocha: "test/contracts" },
    artifacts: "contracts/artifacts",
    cache: "contracts/cache",
  },
});
