// ESLint flat config: TypeScript sources are linted with type-aware-free recommended rules,
// and the import direction of prover/src is enforced (README, "Layout").
import js from "@eslint/js";
import tseslint from "typescript-eslint";

/**
 * What each folder of prover/src may import besides itself: domain is pure; the engine
 * builds on domain; proving, chain and store use domain only; report (HTML and SVG markup)
 * stands alone; the auditor uses the engine, proving, report and its own chain reader; the
 * explorer page renders what the engine computes; a replica (the data committee's member) is an
 * auditor that keeps, serves and attests the data; deploy composes proving and chain; the
 * service wires everything but the auditor, the replica and deploy; the CLI sits on top. Nothing in production
 * imports dev/ (development fixtures, the demo, benchmarks) or test/.
 */
const LAYERS = {
  domain: [],
  engine: ["domain"],
  proving: ["domain"],
  chain: ["domain"],
  store: ["domain"],
  report: [],
  audit: ["domain", "engine", "proving", "report"],
  explorer: ["domain", "engine", "report"],
  replica: ["domain", "engine", "proving", "report", "audit", "explorer"],
  deploy: ["domain", "proving", "chain"],
  service: ["domain", "engine", "proving", "chain", "store", "explorer"],
  cli: [
    "domain",
    "engine",
    "proving",
    "chain",
    "store",
    "report",
    "audit",
    "explorer",
    "replica",
    "deploy",
    "service",
  ],
};
const FOLDERS = [...Object.keys(LAYERS), "dev"];

const layerRules = Object.entries(LAYERS).map(([folder, allowed]) => ({
  files: [`prover/src/${folder}/**/*.ts`],
  rules: {
    "no-restricted-imports": [
      "error",
      {
        patterns: [
          ...FOLDERS.filter((f) => f !== folder && !allowed.includes(f)).map((f) => ({
            group: [`../${f}/*`, `../../${f}/*`, `**/prover/src/${f}/*`],
            message: `prover/src/${folder} ${allowed.length ? `may import only ${allowed.join(", ")}` : "imports none of the other folders"} (the import direction in eslint.config.js)`,
          })),
          {
            group: ["**/test/*", "**/test/**"],
            message: "production code never imports the tests",
          },
        ],
      },
    ],
  },
}));

export default tseslint.config(
  { ignores: ["artifacts/", "node_modules/", "native/build/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ["**/*.cjs"],
    languageOptions: {
      sourceType: "commonjs",
      globals: {
        require: "readonly",
        module: "writable",
        __dirname: "readonly",
        process: "readonly",
      },
    },
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
  {
    // Plain Node scripts run before the dev dependencies (tsx) may be there: npm's install.
    files: ["scripts/**/*.mjs"],
    languageOptions: { globals: { process: "readonly", console: "readonly" } },
  },
  {
    rules: {
      "@typescript-eslint/no-explicit-any": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_" }],
    },
  },
  ...layerRules,
);
