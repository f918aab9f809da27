// Hardhat 2 configuration. CommonJS JavaScript, so neither the CLI nor the library needs
// ts-node in this ESM package.
// Solidity 0.8.28 comes from the `solc` npm package (solcjs): nothing is downloaded.
// The Groth16 verifiers are not compiled here: deploy generates each from its
// verification key and compiles it with the same solc and settings
// (prover/src/proving/verifier-contract.ts).
require("@nomicfoundation/hardhat-ethers");
const { subtask } = require("hardhat/config");
const { TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD } = require("hardhat/builtin-tasks/task-names");

const SOLC_VERSION = "0.8.28";

subtask(TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD).setAction(async ({ solcVersion }) => {
  const solc = require("solc");
  if (solcVersion !== SOLC_VERSION) {
    throw new Error(
      `only solc ${SOLC_VERSION} is installed (npm package "solc"), not ${solcVersion}`,
    );
  }
  return {
    compilerPath: require.resolve("solc/soljson.js"),
    isSolcJs: true,
    version: solcVersion,
    longVersion: solc.version().replace(/\.Emscripten.*$/, ""),
  };
});

/** @type {import("hardhat/config").HardhatUserConfig} */
module.exports = {
  solidity: {
    compilers: [
      {
        version: SOLC_VERSION,
        settings: { optimizer: { enabled: true, runs: 1000 }, evmVersion: "cancun" },
      },
    ],
    overrides: {
      // Settlement stays under the 24,576-byte code size limit (EIP-170) at fewer runs
      "contracts/Settlement.sol": {
        version: SOLC_VERSION,
        settings: { optimizer: { enabled: true, runs: 200 }, evmVersion: "cancun" },
      },
    },
  },
  paths: {
    sources: "contracts",
    tests: "test/contracts",
    artifacts: "artifacts/hardhat",
    cache: "artifacts/hardhat-cache",
  },
  networks: {
    localhost: { url: "http://127.0.0.1:8545" },
  },
};
