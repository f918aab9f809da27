import assert from "node:assert/strict";
import hre from "hardhat";
import type {} from "@nomicfoundation/hardhat-ethers";
import fc from "fast-check";
import {
  getBytes,
  hexlify,
  keccak256,
  Signature,
  toUtf8Bytes,
  ZeroAddress,
  ZeroHash,
} from "ethers";
import type { Contract, Wallet } from "ethers" with { "resolution-mode": "require" };
import {
  aggregateRound,
  medianPrice,
  ORACLE_DOMAIN_NAME,
  ORACLE_DOMAIN_VERSION,
  recoverReportSigner,
  REPORT_TYPE_STRING,
  reportDigest,
  signReport,
  type SignedReport,
} from "../../prover/src/chain/oracle-reports.ts";
import {
  chainId,
  deployOracle,
  eventsOf,
  expectCustomError,
  increaseTime,
  labelledWallet,
  latestTimestamp,
  oracleSetup,
  oracleWallets,
  setNextTimestamp,
  signReports,
  submitRound,
  type HardhatEthersSigner,
} from "./oracle-helpers.ts";

const MAX_AGE = 300n;
/** Market 0: [1_000, 1_000_000]; market 1: [10, 100_000]. */
const BOUNDS = [
  [1_000n, 1_000_000n],
  [10n, 100_000n],
] as const;

/** Five reports' prices for two markets, all within BOUNDS. */
const PRICES: readonly (readonly bigint[])[] = [
  [60_000n, 3_000n],
  [60_010n, 2_990n],
  [59_990n, 3_020n],
  [60_500n, 3_001n],
  [59_000n, 2_500n],
];

const prices = async (oracle: Contract, round: bigint): Promise<bigint[]> =>
  ((await oracle.roundPrices(round)) as { toArray(): bigint[] }).toArray();

describe("PriceOracle", function () {
  let owner: HardhatEthersSigner;
  let stranger: HardhatEthersSigner;
  let wallets: Wallet[];
  let oracle: Contract;

  before(async function () {
    await hre.run("compile", { quiet: true });
    [owner, stranger] = await hre.ethers.getSigners();
    wallets = oracleWallets(5);
  });

  beforeEach(async function () {
    oracle = await deployOracle({ signers: wallets, quorum: 3, maxAge: MAX_AGE, bounds: BOUNDS });
  });

  /** Reports by wallets[i] for the given indices, at the latest block's timestamp. */
  async function reportsBy(
    indices: readonly number[],
    round = 1n,
    opts: { timestamp?: bigint; prices?: readonly (readonly bigint[])[] } = {},
  ): Promise<SignedReport[]> {
    const timestamp = opts.timestamp ?? (await latestTimestamp());
    return signReports(
      oracle,
      indices.map((i) => wallets[i]),
      round,
      timestamp,
      opts.prices ?? indices.map((i) => PRICES[i]),
    );
  }

  const submit = (signed: readonly SignedReport[], round = 1n) =>
    submitRound(oracle, round, signed, stranger);

  describe("the custom-error assertion", function () {
    it("decodes the error name and arguments, and fails on a wrong name or wrong arguments", async function () {
      await expectCustomError(oracle.roundPrices(1n), oracle, "UnknownRound", [1n]);
      await assert.rejects(
        expectCustomError(oracle.roundPrices(1n), oracle, "UnexpectedRoundId"),
        assert.AssertionError,
      );
      await assert.rejects(
        expectCustomError(oracle.roundPrices(1n), oracle, "UnknownRound", [2n]),
        assert.AssertionError,
      );
      await assert.rejects(
        expectCustomError(oracle.latestRoundId(), oracle, "UnknownRound"),
        /the call succeeded/,
      );
      // hardhat-ethers also names the custom error in the message, so a regex works too.
      await assert.rejects(oracle.roundPrices(1n), /UnknownRound\(1\)/);
      await assert.rejects(
        assert.rejects(oracle.roundPrices(1n), /UnexpectedRoundId/),
        assert.AssertionError,
      );
    });
  });

  describe("deployment", function () {
    it("stores the settings and has the right EIP-712 domain and report digest", async function () {
      const address = await oracle.getAddress();
      assert.deepEqual(
        [...(await oracle.signers())],
        wallets.map((w) => w.address),
      );
      for (const w of wallets) assert.equal(await oracle.isSigner(w.address), true);
      assert.equal(await oracle.isSigner(await stranger.getAddress()), false);
      assert.equal(await oracle.quorum(), 3n);
      assert.equal(await oracle.maxAge(), MAX_AGE);
      assert.equal(await oracle.marketCount(), 2n);
      assert.equal(await oracle.latestRoundId(), 0n);
      assert.deepEqual([...(await oracle.latestRound())], [0n, 0n]);
      assert.deepEqual([...(await oracle.bounds(1))], [...BOUNDS[1]]);
      const me = await owner.getAddress();
      assert.equal(await oracle.hasRole(await oracle.ORACLE_ADMIN_ROLE(), me), true);
      assert.equal(await oracle.hasRole(await oracle.DEFAULT_ADMIN_ROLE(), me), true);

      const domain = await oracle.eip712Domain();
      assert.equal(domain.name, ORACLE_DOMAIN_NAME);
      assert.equal(domain.version, ORACLE_DOMAIN_VERSION);
      assert.equal(domain.chainId, await chainId());
      assert.equal(domain.verifyingContract, address);
      assert.equal(await oracle.REPORT_TYPEHASH(), keccak256(toUtf8Bytes(REPORT_TYPE_STRING)));

      // The contract's digest is the TypeScript one, for one and several prices.
      for (const p of [[1n], [1n, 2n ** 64n - 1n, 0n, 7n]]) {
        const report = { roundId: 9n, timestamp: 1_700_000_000n, prices: p };
        assert.equal(
          await oracle.reportDigest(report),
          reportDigest(address, await chainId(), report),
        );
      }
    });

    it("emits RoleGranted per role, SignerAdded per signer, QuorumChanged, MaxAgeChanged and BoundsChanged per market", async function () {
      const factory = await hre.ethers.getContractFactory("PriceOracle", owner);
      const c = await factory.deploy(
        await oracleSetup({
          owner,
          signers: wallets.slice(0, 3),
          quorum: 3,
          maxAge: 60n,
          bounds: BOUNDS,
        }),
      );
      const receipt = await c.deploymentTransaction()?.wait();
      assert.ok(receipt);
      const names = receipt.logs.map((l) => factory.interface.parseLog(l)?.name);
      assert.deepEqual(names, [
        "RoleGranted",
        "RoleGranted",
        "SignerAdded",
        "SignerAdded",
        "SignerAdded",
        "QuorumChanged",
        "MaxAgeChanged",
        "BoundsChanged",
        "BoundsChanged",
      ]);
      const quorum = receipt.logs.map((l) => factory.interface.parseLog(l))[5];
      assert.deepEqual(quorum?.args.toArray(), [0n, 3n]);
    });

    it("refuses a bad market count, quorum (below 3 or a majority), signer list, bounds or admin", async function () {
      const factory = await hre.ethers.getContractFactory("PriceOracle", owner);
      const setup = async (o: Partial<Record<string, unknown>>, quorum = 3, n = 3) => ({
        ...(await oracleSetup({ owner, signers: wallets.slice(0, n), quorum, bounds: BOUNDS })),
        ...o,
      });
      const eight = Array.from({ length: 8 }, () => 1n);
      await expectCustomError(
        factory.deploy(await setup({ marketCount: 0, minPrices: [], maxPrices: [] })),
        factory,
        "InvalidMarketCount",
        [0n],
      );
      await expectCustomError(
        factory.deploy(
          await setup({ marketCount: 9, minPrices: [...eight, 1n], maxPrices: [...eight, 1n] }),
        ),
        factory,
        "InvalidMarketCount",
        [9n],
      );
      await factory.deploy(await setup({ marketCount: 8, minPrices: eight, maxPrices: eight })); // MAX_MARKETS
      // the quorum is at least 3 and a majority: 3 of 3, 3 or 4 of 4
      await expectCustomError(factory.deploy(await setup({}, 1)), factory, "InvalidQuorum", [
        1n,
        3n,
      ]);
      // 2 of 3 is a majority, but a round of two reports lets one signer pick the price
      await expectCustomError(factory.deploy(await setup({}, 2)), factory, "InvalidQuorum", [
        2n,
        3n,
      ]);
      await expectCustomError(factory.deploy(await setup({}, 2, 2)), factory, "InvalidQuorum", [
        2n,
        2n,
      ]);
      await expectCustomError(factory.deploy(await setup({}, 4)), factory, "InvalidQuorum", [
        4n,
        3n,
      ]);
      await expectCustomError(factory.deploy(await setup({}, 2, 4)), factory, "InvalidQuorum", [
        2n,
        4n,
      ]);
      await factory.deploy(await setup({}, 3, 4));
      await expectCustomError(
        factory.deploy(await setup({ signers: [] }, 0)),
        factory,
        "InvalidQuorum",
        [0n, 0n],
      );
      await expectCustomError(
        factory.deploy(await setup({ maxAge: 0 })),
        factory,
        "InvalidMaxAge",
        [],
      );
      const two = [wallets[0].address, wallets[1].address];
      await expectCustomError(
        factory.deploy(await setup({ signers: [two[0], two[0]] })),
        factory,
        "SignerAlreadyAdded",
        [two[0]],
      );
      await expectCustomError(
        factory.deploy(await setup({ signers: [two[0], ZeroAddress] })),
        factory,
        "InvalidSigner",
        [],
      );
      const many = oracleWallets(17, "many").map((w) => w.address);
      await factory.deploy(await setup({ signers: many.slice(0, 16), quorum: 9 })); // MAX_SIGNERS
      await expectCustomError(
        factory.deploy(await setup({ signers: many, quorum: 9 })),
        factory,
        "TooManySigners",
        [16n],
      );
      // every market needs bounds, and sane ones
      await expectCustomError(
        factory.deploy(await setup({ minPrices: [1n], maxPrices: [1n] })),
        factory,
        "BoundsCount",
        [1n, 2n],
      );
      await expectCustomError(
        factory.deploy(await setup({ minPrices: [1n, 0n], maxPrices: [1n, 5n] })),
        factory,
        "InvalidBounds",
        [0n, 5n],
      );
      await expectCustomError(
        factory.deploy(await setup({ minPrices: [1n, 6n], maxPrices: [1n, 5n] })),
        factory,
        "InvalidBounds",
        [6n, 5n],
      );
      // no role is ever held by the zero address
      const zeroRole = await expectCustomError(
        factory.deploy(await setup({ admin: ZeroAddress })),
        factory,
        "ZeroAccount",
      );
      assert.equal(zeroRole[0], ZeroHash); // DEFAULT_ADMIN_ROLE
      await expectCustomError(
        factory.deploy(await setup({ oracleAdmin: ZeroAddress })),
        factory,
        "ZeroAccount",
        [keccak256(toUtf8Bytes("ORACLE_ADMIN_ROLE"))],
      );
    });
  });

  describe("accepted rounds", function () {
    it("takes the middle price of an odd number of reports, and the oldest timestamp", async function () {
      const now = await latestTimestamp();
      const signed = [
        ...(await reportsBy([0], 1n, { timestamp: now - 20n })),
        ...(await reportsBy([1, 2], 1n, { timestamp: now - 5n })),
      ];
      const receipt = await submit(signed);
      // market 0: 59_990, 60_000, 60_010; market 1: 2_990, 3_000, 3_020
      const expected = [60_000n, 3_000n];
      assert.deepEqual(await prices(oracle, 1n), expected);
      assert.deepEqual(aggregateRound(signed.map((s) => s.report)).prices, expected);
      assert.equal(await oracle.roundTimestamp(1n), now - 20n);
      assert.equal(await oracle.roundSignerCount(1n), 3n);
      assert.equal(await oracle.latestRoundId(), 1n);

      const [event] = eventsOf(receipt, oracle, "RoundFinalized");
      assert.equal(event.args.roundId, 1n);
      assert.equal(event.args.timestamp, now - 20n);
      assert.deepEqual(event.args.prices.toArray(), expected);
      assert.deepEqual(
        event.args.signers.toArray(),
        [0, 1, 2].map((i) => wallets[i].address),
      );
    });

    it("takes the lower of the two middle prices of an even number of reports: always a reported price", async function () {
      // Signers in no particular order; the two middle values have an odd sum in market 0.
      const signed = await reportsBy([3, 0, 4, 2], 1n, {
        prices: [
          [1_010n, 10n],
          [1_002n, 100_000n],
          [1_001n, 20n],
          [1_005n, 40n],
        ],
      });
      await submit(signed);
      // market 0: 1_001 1_002 | 1_005 1_010 -> 1_002 (a mean, 1_003, is nobody's report)
      // market 1: 10 20 | 40 100_000 -> 20
      assert.deepEqual(await prices(oracle, 1n), [1_002n, 20n]);
      assert.equal(medianPrice([1_010n, 1_002n, 1_001n, 1_005n]), 1_002n);
      assert.equal(await oracle.roundSignerCount(1n), 4n);
    });

    it("accepts reports from all signers, then the next round, and keeps each round's prices", async function () {
      await submit(await reportsBy([0, 1, 2, 3, 4]));
      assert.deepEqual(await prices(oracle, 1n), [60_000n, 3_000n]);
      const next = await reportsBy([4, 2, 1], 2n, {
        prices: [
          [2_000n, 50n],
          [3_000n, 60n],
          [4_000n, 70n],
        ],
      });
      await submit(next, 2n);
      assert.deepEqual(await prices(oracle, 2n), [3_000n, 60n]);
      assert.deepEqual(await prices(oracle, 1n), [60_000n, 3_000n]);
      assert.equal(await oracle.latestRoundId(), 2n);
    });

    it("agrees with the TypeScript aggregation on random rounds (property)", async function () {
      const seven = oracleWallets(7, "property signer");
      const o = await deployOracle({
        signers: seven,
        quorum: 4,
        maxAge: 10n ** 9n,
        bounds: [
          [1n, 2n ** 64n - 1n],
          [1n, 2n ** 64n - 1n],
          [1n, 2n ** 64n - 1n],
        ],
      });
      const address = await o.getAddress();
      const chain = await chainId();
      const price = fc.oneof(
        fc.bigInt({ min: 1n, max: 2n ** 64n - 1n }),
        fc.bigInt({ min: 1n, max: 10n }),
        fc.constantFrom(1n, 2n ** 64n - 1n, 2n ** 64n - 2n),
      );
      const report = fc.record({
        prices: fc.array(price, { minLength: 3, maxLength: 3 }),
        age: fc.bigInt({ min: 0n, max: 1000n }),
      });
      await fc.assert(
        fc.asyncProperty(
          fc.uniqueArray(fc.integer({ min: 0, max: 6 }), { minLength: 4, maxLength: 7 }),
          fc.array(report, { minLength: 7, maxLength: 7 }),
          async (who, reports) => {
            const round = ((await o.latestRoundId()) as bigint) + 1n;
            // past every report age of the previous round: round timestamps increase
            await increaseTime(1001);
            const now = await latestTimestamp();
            const signed = await Promise.all(
              who.map((w, i) =>
                signReport(seven[w], address, chain, {
                  roundId: round,
                  timestamp: now - reports[i].age,
                  prices: reports[i].prices,
                }),
              ),
            );
            await submitRound(o, round, signed);
            const twin = aggregateRound(signed.map((s) => s.report));
            assert.deepEqual(await prices(o, round), twin.prices);
            assert.equal(await o.roundTimestamp(round), twin.timestamp);
          },
        ),
        { numRuns: 25 },
      );
    });
  });

  describe("refused rounds", function () {
    it("below quorum", async function () {
      await expectCustomError(submit(await reportsBy([0, 1])), oracle, "NotEnoughReports", [
        2n,
        3n,
      ]);
      await expectCustomError(submit([]), oracle, "NotEnoughReports", [0n, 3n]);
    });

    it("the same signer twice, in any position", async function () {
      const [a, b, c] = await reportsBy([0, 1, 2]);
      // The repeated signer signs a second, different report: still one voice.
      const [a2] = await reportsBy([0], 1n, { prices: [[70_000n, 4_000n]] });
      await expectCustomError(submit([a, b, a2]), oracle, "DuplicateSigner", [2n, a.signer]);
      await expectCustomError(submit([a, b, c, b]), oracle, "DuplicateSigner", [3n, b.signer]);
      await expectCustomError(submit([c, c, c]), oracle, "DuplicateSigner", [1n, c.signer]);
    });

    it("a report from an address that is not a signer", async function () {
      const outsider = labelledWallet("outsider");
      const [a, b] = await reportsBy([0, 1]);
      const [x] = await signReports(oracle, [outsider], 1n, await latestTimestamp(), [PRICES[2]]);
      await expectCustomError(submit([a, x, b]), oracle, "UnknownSigner", [1n, outsider.address]);
    });

    it("a report signed for another chain id", async function () {
      const chain = await chainId();
      const [a, b] = await reportsBy([0, 1]);
      const [c] = await signReports(
        oracle,
        [wallets[2]],
        1n,
        await latestTimestamp(),
        [PRICES[2]],
        {
          chainId: chain + 1n,
        },
      );
      // On this chain the signature recovers to an unrelated address.
      const recovered = recoverReportSigner(
        await oracle.getAddress(),
        chain,
        c.report,
        c.signature,
      );
      assert.notEqual(recovered, wallets[2].address);
      await expectCustomError(submit([a, b, c]), oracle, "UnknownSigner", [2n, recovered]);
    });

    it("a report signed for another oracle", async function () {
      const other = await deployOracle({ signers: wallets, quorum: 3, bounds: BOUNDS });
      const [a, b] = await reportsBy([0, 1]);
      const [c] = await signReports(other, [wallets[2]], 1n, await latestTimestamp(), [PRICES[2]]);
      const recovered = recoverReportSigner(
        await oracle.getAddress(),
        await chainId(),
        c.report,
        c.signature,
      );
      assert.notEqual(recovered, wallets[2].address);
      await expectCustomError(submit([a, b, c]), oracle, "UnknownSigner", [2n, recovered]);
      // The same report is good where it was meant to go.
      const forOther = await signReports(other, [wallets[0], wallets[1]], 1n, c.report.timestamp, [
        PRICES[0],
        PRICES[1],
      ]);
      await submitRound(other, 1n, [...forOther, c]);
      assert.equal(await other.latestRoundId(), 1n);
    });

    it("a report for another round id, and a report whose round id was edited", async function () {
      const [a, b] = await reportsBy([0, 1]);
      const [c] = await reportsBy([2], 2n);
      await expectCustomError(submit([a, b, c]), oracle, "ReportRoundMismatch", [2n, 2n, 1n]);
      // Editing the round id of a signed report breaks its signature.
      const tampered = { ...c, report: { ...c.report, roundId: 1n } };
      const recovered = recoverReportSigner(
        await oracle.getAddress(),
        await chainId(),
        tampered.report,
        tampered.signature,
      );
      assert.notEqual(recovered, c.signer);
      await expectCustomError(submit([a, b, tampered]), oracle, "UnknownSigner", [2n, recovered]);
      // Round 1's reports cannot be replayed as round 2.
      const [d] = await reportsBy([2], 1n);
      await submit([a, b, d]);
      await expectCustomError(submit([a, b, d], 2n), oracle, "ReportRoundMismatch", [0n, 1n, 2n]);
    });

    it("a report signed for other prices (signature over different content)", async function () {
      const [a, b, c] = await reportsBy([0, 1, 2]);
      const edited = {
        ...c,
        report: { ...c.report, prices: [c.report.prices[0] + 1n, c.report.prices[1]] },
      };
      const recovered = recoverReportSigner(
        await oracle.getAddress(),
        await chainId(),
        edited.report,
        edited.signature,
      );
      await expectCustomError(submit([a, b, edited]), oracle, "UnknownSigner", [2n, recovered]);
    });

    it("a stale report, and a report exactly maxAge old is accepted", async function () {
      const t0 = await latestTimestamp();
      const signed = await reportsBy([0, 1, 2], 1n, { timestamp: t0 });
      await hre.network.provider.send("evm_increaseTime", [Number(MAX_AGE) + 1]);
      await hre.network.provider.send("evm_mine", []);
      const now = await latestTimestamp();
      assert.ok(now - t0 > MAX_AGE);
      await setNextTimestamp(now + 1n);
      await expectCustomError(submit(signed), oracle, "StaleReport", [0n, t0, now + 1n]);

      const t1 = now + 10n;
      const fresh = await reportsBy([0, 1, 2], 1n, { timestamp: t1 });
      await setNextTimestamp(t1 + MAX_AGE);
      await submit(fresh);
      assert.equal(await oracle.roundTimestamp(1n), t1);
    });

    it("a report from the future, and a report from the block's own second is accepted", async function () {
      const next = (await latestTimestamp()) + 5n;
      const [a, b] = await reportsBy([0, 1], 1n, { timestamp: next });
      const [c] = await reportsBy([2], 1n, { timestamp: next + 1n });
      await setNextTimestamp(next);
      await expectCustomError(submit([a, b, c]), oracle, "FutureReport", [2n, next + 1n, next]);
      const [d] = await reportsBy([2], 1n, { timestamp: next + 1n });
      await setNextTimestamp(next + 1n);
      await submit([a, b, d]);
      assert.equal(await oracle.roundTimestamp(1n), next);
    });

    it("a price above the maximum or below the minimum; the bounds themselves are accepted", async function () {
      const [a, b] = await reportsBy([0, 1]);
      const [high] = await reportsBy([2], 1n, { prices: [[1_000_001n, 3_000n]] });
      await expectCustomError(submit([a, high, b]), oracle, "PriceOutOfBounds", [
        1n,
        0n,
        1_000_001n,
        1_000n,
        1_000_000n,
      ]);
      const [low] = await reportsBy([2], 1n, { prices: [[60_000n, 9n]] });
      await expectCustomError(submit([a, b, low]), oracle, "PriceOutOfBounds", [
        2n,
        1n,
        9n,
        10n,
        100_000n,
      ]);
      const edges = await reportsBy([0, 1, 2], 1n, {
        prices: [
          [1_000n, 100_000n],
          [1_000_000n, 10n],
          [1_000n, 10n],
        ],
      });
      await submit(edges);
      assert.deepEqual(await prices(oracle, 1n), [1_000n, 10n]);
    });

    it("a report with too few or too many prices", async function () {
      const [a, b] = await reportsBy([0, 1]);
      const [one] = await reportsBy([2], 1n, { prices: [[60_000n]] });
      await expectCustomError(submit([a, b, one]), oracle, "WrongPriceCount", [2n, 1n, 2n]);
      const [three] = await reportsBy([2], 1n, { prices: [[60_000n, 3_000n, 3_000n]] });
      await expectCustomError(submit([three, a, b]), oracle, "WrongPriceCount", [0n, 3n, 2n]);
    });

    it("a round out of sequence: skipping, replaying round 1, round 0", async function () {
      const one = await reportsBy([0, 1, 2], 1n);
      const two = await reportsBy([0, 1, 2], 2n, { timestamp: (await latestTimestamp()) + 5n });
      await expectCustomError(submit(two, 2n), oracle, "UnexpectedRoundId", [2n, 1n]);
      await expectCustomError(submit(one, 0n), oracle, "UnexpectedRoundId", [0n, 1n]);
      await submit(one);
      await expectCustomError(submit(one, 1n), oracle, "UnexpectedRoundId", [1n, 2n]);
      await setNextTimestamp(two[0].report.timestamp);
      await submit(two, 2n);
      assert.equal(await oracle.latestRoundId(), 2n);
    });

    it("malformed or malleable signatures, mismatched arrays, too many reports", async function () {
      const [a, b, c] = await reportsBy([0, 1, 2]);
      // The high-s twin of a valid signature recovers to the same key, but is refused.
      const sig = Signature.from(c.signature);
      const n = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
      const highS = hexlify(
        new Uint8Array([
          ...getBytes(sig.r),
          ...getBytes("0x" + (n - BigInt(sig.s)).toString(16).padStart(64, "0")),
          sig.v === 27 ? 28 : 27,
        ]),
      );
      await expectCustomError(
        submit([a, b, { ...c, signature: highS }]),
        oracle,
        "InvalidSignature",
        [2n],
      );
      // EIP-2098 compact (64-byte) signatures are not accepted either.
      await expectCustomError(
        submit([a, { ...b, signature: sig.compactSerialized }, c]),
        oracle,
        "InvalidSignature",
        [1n],
      );
      const badV = hexlify(new Uint8Array([...getBytes(c.signature).slice(0, 64), 29]));
      await expectCustomError(
        submit([a, b, { ...c, signature: badV }]),
        oracle,
        "InvalidSignature",
        [2n],
      );

      const reports = [a, b, c].map((s) => s.report);
      const sigs = [a, b, c].map((s) => s.signature);
      const asStranger = oracle.connect(stranger) as Contract;
      await expectCustomError(
        asStranger.submitRound(1n, reports, sigs.slice(0, 2)),
        oracle,
        "ReportCountMismatch",
        [3n, 2n],
      );
      const seventeen = Array.from({ length: 17 }, () => a);
      await expectCustomError(submit(seventeen), oracle, "TooManyReports", [17n, 16n]);
    });
  });

  describe("views of rounds", function () {
    it("UnknownRound for round 0 and for rounds not yet finalised", async function () {
      for (const r of [0n, 1n, 2n]) {
        await expectCustomError(oracle.roundPrices(r), oracle, "UnknownRound", [r]);
        await expectCustomError(oracle.roundTimestamp(r), oracle, "UnknownRound", [r]);
        await expectCustomError(oracle.roundSignerCount(r), oracle, "UnknownRound", [r]);
      }
      await submit(await reportsBy([0, 1, 2]));
      await prices(oracle, 1n);
      await expectCustomError(oracle.roundPrices(2n), oracle, "UnknownRound", [2n]);
    });
  });

  describe("administration", function () {
    it("only ORACLE_ADMIN_ROLE changes signers, bounds and report age; only DEFAULT_ADMIN_ROLE grants it", async function () {
      const s = oracle.connect(stranger) as Contract;
      const who = await stranger.getAddress();
      const oracleAdmin = await oracle.ORACLE_ADMIN_ROLE();
      const admin = await oracle.DEFAULT_ADMIN_ROLE();
      const newSigner = hre.ethers.Wallet.createRandom().address;
      const three = [wallets[0].address, wallets[1].address, newSigner];
      await expectCustomError(s.setSigners(three, 3), oracle, "AccessControlUnauthorizedAccount", [
        who,
        oracleAdmin,
      ]);
      await expectCustomError(s.setMaxAge(60), oracle, "AccessControlUnauthorizedAccount", [
        who,
        oracleAdmin,
      ]);
      await expectCustomError(s.setBounds(0, 1, 2), oracle, "AccessControlUnauthorizedAccount", [
        who,
        oracleAdmin,
      ]);
      await expectCustomError(
        s.grantRole(oracleAdmin, who),
        oracle,
        "AccessControlUnauthorizedAccount",
        [who, admin],
      );
      assert.equal(await oracle.quorum(), 3n);
      assert.equal(await oracle.isSigner(newSigner), false);

      // split roles: the oracle admin cannot grant roles, the admin cannot change signers
      const factory = await hre.ethers.getContractFactory("PriceOracle", owner);
      const split = await factory.deploy({
        ...(await oracleSetup({ owner, signers: wallets, quorum: 3, bounds: BOUNDS })),
        oracleAdmin: who,
      });
      await split.waitForDeployment();
      const asOracleAdmin = split.connect(stranger) as Contract;
      await (await asOracleAdmin.setSigners(three, 3)).wait();
      assert.equal(await split.isSigner(newSigner), true);
      await expectCustomError(
        asOracleAdmin.grantRole(oracleAdmin, await owner.getAddress()),
        split,
        "AccessControlUnauthorizedAccount",
        [who, admin],
      );
      await expectCustomError(
        split.setSigners(three, 3),
        split,
        "AccessControlUnauthorizedAccount",
        [await owner.getAddress(), oracleAdmin],
      );
    });

    it("keeps an admin: the last DEFAULT_ADMIN_ROLE holder cannot renounce or revoke it, and no role goes to the zero address", async function () {
      const me = await owner.getAddress();
      const other = await stranger.getAddress();
      const admin = await oracle.DEFAULT_ADMIN_ROLE();
      const oracleAdmin = await oracle.ORACLE_ADMIN_ROLE();
      // the renounce that left the old oracle without an owner, and so without a way to
      // replace its signers, is refused
      await expectCustomError(oracle.renounceRole(admin, me), oracle, "LastAdmin", []);
      await expectCustomError(oracle.revokeRole(admin, me), oracle, "LastAdmin", []);
      await expectCustomError(oracle.grantRole(oracleAdmin, ZeroAddress), oracle, "ZeroAccount", [
        oracleAdmin,
      ]);
      // the oracle admin may leave; the admin can always appoint another
      await (await oracle.renounceRole(oracleAdmin, me)).wait();
      await expectCustomError(oracle.setMaxAge(60), oracle, "AccessControlUnauthorizedAccount", [
        me,
        oracleAdmin,
      ]);
      await (await oracle.grantRole(oracleAdmin, other)).wait();
      await (await (oracle.connect(stranger) as Contract).setMaxAge(60)).wait();
      assert.equal(await oracle.maxAge(), 60n);
      // with a second admin, the first may go
      await (await oracle.grantRole(admin, other)).wait();
      await (await oracle.renounceRole(admin, me)).wait();
      assert.equal(await oracle.hasRole(admin, me), false);
      await expectCustomError(
        (oracle.connect(stranger) as Contract).renounceRole(admin, other),
        oracle,
        "LastAdmin",
        [],
      );
    });

    it("setSigners replaces the set and the quorum at once, with events; rounds follow the new set", async function () {
      const extra = labelledWallet("extra signer");
      const late = labelledWallet("late signer");
      const next = [extra.address, wallets[2].address, late.address];
      const receipt = await (await oracle.setSigners(next, 3)).wait();
      assert.ok(receipt);
      assert.deepEqual(
        eventsOf(receipt, oracle, "SignerRemoved").map((e) => e.args.signer),
        [...wallets].reverse().map((w) => w.address),
      );
      assert.deepEqual(
        eventsOf(receipt, oracle, "SignerAdded").map((e) => e.args.signer),
        next,
      );
      assert.deepEqual(eventsOf(receipt, oracle, "QuorumChanged")[0].args.toArray(), [3n, 3n]);
      assert.deepEqual([...(await oracle.signers())], next);
      for (const w of wallets) assert.equal(await oracle.isSigner(w.address), w === wallets[2]);

      // a removed signer is refused; the new ones count once each
      const now = await latestTimestamp();
      const [x, y] = await signReports(oracle, [extra, late], 1n, now, [PRICES[3], PRICES[4]]);
      const [r0, r2] = await reportsBy([0, 2]);
      await expectCustomError(submit([x, r0, y]), oracle, "UnknownSigner", [
        1n,
        wallets[0].address,
      ]);
      await expectCustomError(submit([x, r2, x]), oracle, "DuplicateSigner", [2n, extra.address]);
      await submit([x, r2, y]);
      // lower median of [60_500, 59_990, 59_000] and [3_001, 3_020, 2_500]
      assert.deepEqual(await prices(oracle, 1n), [59_990n, 3_001n]);
    });

    it("setSigners keeps the quorum at least 3 and a majority of the signers, and the set valid", async function () {
      const five = wallets.map((w) => w.address);
      // the change the issue describes (quorum 1 over many signers) is refused
      await expectCustomError(oracle.setSigners(five, 1), oracle, "InvalidQuorum", [1n, 5n]);
      await expectCustomError(oracle.setSigners(five, 2), oracle, "InvalidQuorum", [2n, 5n]);
      await expectCustomError(oracle.setSigners(five, 6), oracle, "InvalidQuorum", [6n, 5n]);
      await expectCustomError(oracle.setSigners(five.slice(0, 4), 2), oracle, "InvalidQuorum", [
        2n,
        4n,
      ]);
      await expectCustomError(oracle.setSigners([], 0), oracle, "InvalidQuorum", [0n, 0n]);
      // a majority, but a round of two reports: one signer would pick the lower median
      await expectCustomError(oracle.setSigners(five.slice(0, 3), 2), oracle, "InvalidQuorum", [
        2n,
        3n,
      ]);
      await expectCustomError(oracle.setSigners(five.slice(0, 2), 2), oracle, "InvalidQuorum", [
        2n,
        2n,
      ]);
      await expectCustomError(oracle.setSigners([five[0]], 1), oracle, "InvalidQuorum", [1n, 1n]);
      await expectCustomError(
        oracle.setSigners([five[0], five[1], five[0]], 3),
        oracle,
        "SignerAlreadyAdded",
        [five[0]],
      );
      await expectCustomError(
        oracle.setSigners([five[0], ZeroAddress, five[1]], 3),
        oracle,
        "InvalidSigner",
        [],
      );
      const many = oracleWallets(17, "filler").map((w) => w.address);
      await expectCustomError(oracle.setSigners(many, 9), oracle, "TooManySigners", [16n]);
      // a refused change leaves everything as it was
      assert.deepEqual([...(await oracle.signers())], five);
      assert.equal(await oracle.quorum(), 3n);
      // at the edges: 16 signers with 9, and three signers with 3
      await (await oracle.setSigners(many.slice(0, 16), 9)).wait();
      assert.equal((await oracle.signers()).length, 16);
      await (await oracle.setSigners(five.slice(0, 3), 3)).wait();
      await submit(await reportsBy([0, 1, 2]));
    });

    it("setMaxAge emits MaxAgeChanged, refuses 0, and applies to the next round", async function () {
      const changed = await (await oracle.setMaxAge(60)).wait();
      assert.deepEqual(eventsOf(changed, oracle, "MaxAgeChanged")[0].args.toArray(), [
        MAX_AGE,
        60n,
      ]);
      assert.equal(await oracle.maxAge(), 60n);
      await expectCustomError(oracle.setMaxAge(0), oracle, "InvalidMaxAge", []);
      const now = await latestTimestamp();
      const signed = await reportsBy([0, 1, 2], 1n, { timestamp: now - 100n });
      await setNextTimestamp(now + 1n);
      await expectCustomError(submit(signed), oracle, "StaleReport", [0n, now - 100n, now + 1n]);
    });

    it("setBounds emits BoundsChanged and refuses unknown markets and bad ranges", async function () {
      const changed = await (await oracle.setBounds(1, 5, 5)).wait();
      assert.deepEqual(eventsOf(changed, oracle, "BoundsChanged")[0].args.toArray(), [1n, 5n, 5n]);
      assert.deepEqual([...(await oracle.bounds(1))], [5n, 5n]);
      await expectCustomError(oracle.setBounds(2, 1, 2), oracle, "UnknownMarket", [2n]);
      await expectCustomError(oracle.bounds(2), oracle, "UnknownMarket", [2n]);
      await expectCustomError(oracle.setBounds(0, 0, 2), oracle, "InvalidBounds", [0n, 2n]);
      await expectCustomError(oracle.setBounds(0, 3, 2), oracle, "InvalidBounds", [3n, 2n]);
    });

    it("announces rounds to its consumer, wired once by the deployer", async function () {
      const factory = await hre.ethers.getContractFactory("RoundConsumerProbe", owner);
      const probe = await factory.deploy();
      await probe.waitForDeployment();
      const at = await probe.getAddress();
      await expectCustomError(
        (oracle.connect(stranger) as Contract).setConsumer(at),
        oracle,
        "ConsumerAlreadySet",
        [],
      );
      await submit(await reportsBy([0, 1, 2]));
      const t1 = await oracle.roundTimestamp(1n);
      // wiring tells the consumer the latest round at once
      await (await oracle.setConsumer(at)).wait();
      assert.equal(await oracle.consumer(), at);
      assert.deepEqual([...(await probe.last())], [1n, t1]);
      await expectCustomError(oracle.setConsumer(at), oracle, "ConsumerAlreadySet", []);
      await submit(await reportsBy([0, 1, 2], 2n), 2n);
      assert.deepEqual([...(await probe.last())], [2n, await oracle.roundTimestamp(2n)]);
      assert.deepEqual([...(await oracle.latestRound())], [2n, await oracle.roundTimestamp(2n)]);
    });
  });

  describe("adversarial reports: the lower median", function () {
    /** Round `round` from the given signers' prices (market 0; market 1 fixed at 3_000). */
    async function roundOf(indices: readonly number[], p0: readonly bigint[], round = 1n) {
      const signed = await reportsBy(indices, round, { prices: p0.map((p) => [p, 3_000n]) });
      await submit(signed, round);
      return (await prices(oracle, round))[0];
    }

    it("one signer far off cannot move the price beyond the honest reports (odd count)", async function () {
      // the highest and the lowest price the bounds admit
      assert.equal(await roundOf([0, 1, 4], [60_000n, 60_010n, 1_000_000n]), 60_010n);
      assert.equal(await roundOf([0, 1, 4], [60_000n, 60_010n, 1_000n], 2n), 60_000n);
    });

    it("an even count: the price is one of the reports, within the honest ones' range", async function () {
      const o4 = await deployOracle({ signers: wallets, quorum: 4, bounds: BOUNDS });
      const sub = async (p0: bigint[], round: bigint) => {
        const signed = await signReports(
          o4,
          wallets.slice(0, 4),
          round,
          await latestTimestamp(),
          p0.map((p) => [p, 3_000n]),
        );
        await submitRound(o4, round, signed);
        return (await prices(o4, round))[0];
      };
      // one faulty report of four, far above or far below: the mean of the two middle
      // values would be a price nobody reported; the lower median is an honest one
      assert.equal(await sub([60_000n, 59_990n, 60_010n, 1_000_000n], 1n), 60_000n);
      assert.equal(await sub([60_000n, 59_990n, 60_010n, 1_000n], 2n), 59_990n);
      assert.equal(medianPrice([60_000n, 59_990n, 60_010n, 1_000_000n]), 60_000n);
    });

    it("a round of two reports is refused: one dishonest signer and one honest report cannot make the price the dishonest one", async function () {
      // the attack on a quorum of 2 (the lower median of two reports is the lower one, which
      // the dishonest signer picks): no oracle takes a quorum below 3, and a round needs it
      const [honest, rogue] = await reportsBy([0, 4], 1n, {
        prices: [
          [60_000n, 3_000n],
          [1_000n, 1_000n],
        ],
      });
      await expectCustomError(submit([honest, rogue]), oracle, "NotEnoughReports", [2n, 3n]);
      // with a third (honest) report the dishonest price is never the median, low or high
      for (const [round, far] of [
        [1n, 1_000n],
        [2n, 1_000_000n],
      ] as const) {
        const p = await roundOf([0, 1, 4], [60_000n, 60_010n, far], round);
        assert.ok(p >= 60_000n && p <= 60_010n, `${far}: ${p}`);
      }
    });

    it("a cherry-picked subset: whichever quorum of reports a submitter picks, one faulty signer of five (quorum 3) stays within the honest range", async function () {
      // honest signers 0..3 around 60_000; signer 4 reports the highest admissible price
      const honest = [59_990n, 60_000n, 60_010n, 60_020n];
      const all = [...honest, 1_000_000n];
      const subsets: number[][] = [];
      for (let a = 0; a < 5; a++)
        for (let b = a + 1; b < 5; b++) for (let c = b + 1; c < 5; c++) subsets.push([a, b, c]);
      let round = 1n;
      const seen = new Set<bigint>();
      for (const picked of [...subsets, [0, 1, 2, 4], [1, 2, 3, 4], [0, 1, 2, 3, 4]]) {
        const price = await roundOf(
          picked,
          picked.map((i) => all[i]),
          round++,
        );
        assert.ok(price >= honest[0] && price <= honest[3], `${picked}: ${price}`);
        seen.add(price);
      }
      // the submitter's choice moves the price only among honest values
      assert.ok([...seen].every((p) => honest.includes(p)));
    });
  });

  describe("round timestamps", function () {
    it("refuses a round whose timestamp is not after the previous round's: time never goes backwards", async function () {
      const t = await latestTimestamp();
      await submit(await reportsBy([0, 1, 2], 1n, { timestamp: t }));
      assert.deepEqual([...(await oracle.latestRound())], [1n, t]);
      // the same second again
      await expectCustomError(
        submit(await reportsBy([0, 1, 2], 2n, { timestamp: t }), 2n),
        oracle,
        "RoundNotNewer",
        [t, t],
      );
      // newer reports, but one older one makes the round's (oldest) timestamp go back
      const newer = await reportsBy([0, 1], 2n, { timestamp: t + 1n });
      const [old] = await reportsBy([2], 2n, { timestamp: t - 10n });
      await expectCustomError(submit([...newer, old], 2n), oracle, "RoundNotNewer", [t - 10n, t]);
      const [fresh] = await reportsBy([2], 2n, { timestamp: t + 1n });
      await submit([...newer, fresh], 2n);
      assert.deepEqual([...(await oracle.latestRound())], [2n, t + 1n]);
    });
  });

  describe("gas", function () {
    it("submitRound for 3-of-5 and 5-of-7 with 2 and 4 markets", async function () {
      const rows: string[] = [];
      for (const [k, n] of [
        [3, 5],
        [5, 7],
      ]) {
        for (const markets of [2, 4]) {
          const signers = oracleWallets(n, `gas ${n}`);
          const bounds = Array.from({ length: markets }, () => [1n, 10n ** 12n] as const);
          const o = await deployOracle({ signers, quorum: k, bounds });
          const used: bigint[] = [];
          for (const round of [1n, 2n]) {
            const p = signers
              .slice(0, k)
              .map((_, i) =>
                Array.from({ length: markets }, (_, m) => 50_000n + BigInt(i * 7 + m * 3)),
              );
            const signed = await signReports(
              o,
              signers.slice(0, k),
              round,
              await latestTimestamp(),
              p,
            );
            used.push((await submitRound(o, round, signed)).gasUsed);
          }
          rows.push(
            `        ${k}-of-${n}, ${markets} markets: round 1 ${used[0]} gas, round 2 ${used[1]} gas`,
          );
          // A regression guard with some headroom over the measured figures (round 1 writes
          // each market's volatility state for the first time: the dearest round)
          const ceiling = 100_000n + 25_000n * BigInt(k) + 30_000n * BigInt(markets);
          for (const g of used) assert.ok(g < ceiling, `${k}-of-${n}/${markets}: ${g} gas`);
        }
      }
      console.log(`      PriceOracle.submitRound gas (k reports):\n${rows.join("\n")}`);
    });
  });
});
