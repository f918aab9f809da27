// Hardhat 2 configuration. CommonJS JavaScript, so neither the CLI nor the library needs
// ts-node in this ESM package.
// Solidity 0.8.28 comes from the `solc` npm package (solcjs): nothing is downloaded.
// Generated Groth16 verifiers live in artifacts/generated/contracts and are compiled
// alongside contracts/.
const fs = require("node:fs");
const path = require("node:path");
require("@nomicfoundation/hardhat-ethers");
const { subtask } = require("hardhat/config");
const {
  TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD,
  TASK_COMPILE_SOLIDITY_GET_SOURCE_PATHS,
} = require("hardhat/builtin-tasks/task-names");

const SOLC_VERSION = "0.8.28";
const GENERATED = path.join(__dirname, "artifacts", "generated", "contracts");

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

subtask(TASK_COMPILE_SOLIDITY_GET_SOURCE_PATHS).setAction(async (_args, _hre, runSuper) => {
  const own = await runSuper();
  const generated = fs.existsSync(GENERATED)
    ? fs
        .readdirSync(GENERATED)
        .filter((f) => f.endsWith(".sol"))
        .map((f) => path.join(GENERATED, f))
    : [];
  return [...own, ...generated];
});

/** @type {import("hardhat/config").HardhatUserConfig} */
module.exports = {
  solidity: {
    version: SOLC_VERSION,
    settings: { optimizer: { enabled: true, runs: 1000 }, evmVersion: "cancun" },
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
