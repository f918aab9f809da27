/**
 * Headless Chromium for page tests, from npm packages alone: the browser binary is the one
 * `@sparticuz/chromium` ships inside its package (brotli-compressed, with the NSS, NSPR and
 * expat libraries it links against, and a font), unpacked once per package version into
 * node_modules/.cache/zkclear-chromium/<version>/; `puppeteer-core` drives it over a pipe
 * (no debugging port). Nothing is downloaded and no Debian browser package is needed, so
 * `npm ci && npm test` works on a fresh machine.
 *
 * Use `withPage({ url } | { html }, async (page, seen) => ...)` for one page in its own
 * browser, or `launchBrowser()` to keep one browser across several pages.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { brotliDecompressSync, createBrotliDecompress } from "node:zlib";
import puppeteer, { type Browser, type Page } from "puppeteer-core";

const PACKAGE = "@sparticuz/chromium";

/**
 * The machine's network is closed: anything Chromium starts in the background that dials out
 * (component updates, sync, field trials, QUIC probes) would hang on refused connections.
 */
const FLAGS = [
  "--headless=shell",
  "--no-sandbox", // tests run as root
  "--no-zygote",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-domain-reliability",
  "--no-pings",
];

export interface UnpackedChromium {
  /** `@sparticuz/chromium`'s version, which is the Chromium major. */
  version: string;
  executable: string;
  /** The shared libraries the package ships for the binary (put first on LD_LIBRARY_PATH). */
  libDir: string;
  /** A fontconfig file: the system's fonts plus the package's. */
  fontConfig: string;
}

/** Extracts a (small) brotli-compressed tar into `dest` with the system's tar (Debian: essential). */
function untarBrotli(file: string, dest: string): void {
  const tar = spawnSync("tar", ["-x", "-C", dest], {
    input: brotliDecompressSync(fs.readFileSync(file)),
    stdio: ["pipe", "ignore", "pipe"],
    encoding: "buffer",
  });
  if (tar.error) throw tar.error;
  if (tar.status !== 0) throw new Error(`tar -x of ${file}: ${tar.stderr.toString().trim()}`);
}

function fontConfigXml(dir: string): string {
  return `<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<fontconfig>
  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>
  <dir>${path.join(dir, "fonts")}</dir>
  <cachedir>${path.join(dir, "fontconfig-cache")}</cachedir>
</fontconfig>
`;
}

async function unpack(): Promise<UnpackedChromium> {
  // The package exports only its entry point (build/cjs/index.cjs): its bin/ is two up.
  const pkgDir = path.resolve(
    path.dirname(createRequire(import.meta.url).resolve(PACKAGE)),
    "../..",
  );
  const { version } = JSON.parse(fs.readFileSync(path.join(pkgDir, "package.json"), "utf8")) as {
    version: string;
  };
  const bin = path.join(pkgDir, "bin");
  const dir = path.join(pkgDir, "..", "..", ".cache", "zkclear-chromium", version);
  const out: UnpackedChromium = {
    version,
    executable: path.join(dir, "chromium"),
    libDir: path.join(dir, "lib"),
    fontConfig: path.join(dir, "fonts.conf"),
  };
  if (fs.existsSync(dir)) return out;

  // Unpack beside it and rename: the cache is either complete or absent, even if killed.
  const partial = `${dir}.partial-${process.pid}`;
  fs.rmSync(partial, { recursive: true, force: true });
  fs.mkdirSync(partial, { recursive: true });
  try {
    await pipeline(
      fs.createReadStream(path.join(bin, "chromium.br")),
      createBrotliDecompress({ chunkSize: 1 << 21 }),
      fs.createWriteStream(path.join(partial, "chromium"), { mode: 0o755 }),
    );
    untarBrotli(path.join(bin, "al2023.tar.br"), partial); // lib/libnss3.so, ...
    untarBrotli(path.join(bin, "fonts.tar.br"), partial); // fonts/Open_Sans/*.ttf
    fs.writeFileSync(path.join(partial, "fonts.conf"), fontConfigXml(dir));
    fs.renameSync(partial, dir);
  } catch (e) {
    fs.rmSync(partial, { recursive: true, force: true });
    if (fs.existsSync(dir)) return out; // another process finished first
    throw new Error(`could not unpack Chromium from ${pkgDir} (run npm ci): ${String(e)}`);
  }
  return out;
}

let unpacked: Promise<UnpackedChromium> | undefined;

/** The unpacked browser (done once per package version; about 2 s the first time). */
export function unpackChromium(): Promise<UnpackedChromium> {
  unpacked ??= unpack().catch((e: unknown) => {
    unpacked = undefined;
    throw e;
  });
  return unpacked;
}

/** A headless Chromium with a fresh profile, removed when the browser closes. */
export async function launchBrowser(): Promise<Browser> {
  const chromium = await unpackChromium();
  try {
    fs.accessSync(chromium.executable, fs.constants.X_OK);
  } catch (e) {
    throw new Error(
      `headless Chromium ${chromium.version} from ${PACKAGE} is not executable at ` +
        `${chromium.executable} (remove node_modules/.cache/zkclear-chromium to unpack it again): ${String(e)}`,
    );
  }
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "zkclear-chromium-profile-"));
  const libraryPath = [chromium.libDir, process.env.LD_LIBRARY_PATH].filter(Boolean).join(":");
  const env = {
    ...process.env,
    LD_LIBRARY_PATH: libraryPath,
    FONTCONFIG_FILE: chromium.fontConfig,
  };
  try {
    const browser = await puppeteer.launch({
      executablePath: chromium.executable,
      headless: "shell",
      pipe: true,
      args: FLAGS,
      userDataDir: profile,
      env,
      timeout: 30_000,
    });
    // Chromium's helper processes may still write to the profile after the disconnect:
    // remove it in the background, retrying, and never fail a test over a temporary folder
    browser.once("disconnected", () =>
      fs.rm(profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 }, () => {}),
    );
    return browser;
  } catch (e) {
    fs.rmSync(profile, { recursive: true, force: true });
    // Over a pipe, puppeteer does not pass on what the browser printed: ask it again.
    const probe = spawnSync(chromium.executable, ["--version"], {
      env,
      encoding: "utf8",
      timeout: 10_000,
    });
    const said = `${probe.stdout ?? ""}${probe.stderr ?? ""}`.trim().slice(-600);
    throw new Error(
      `headless Chromium ${chromium.version} from ${PACKAGE} did not start ` +
        `(${chromium.executable}): ${e instanceof Error ? e.message : String(e)}` +
        (said ? `; it says: ${said}` : "") +
        `; check its libraries with: LD_LIBRARY_PATH=${chromium.libDir} ldd ${chromium.executable}`,
    );
  }
}

export type PageSource = { url: string } | { html: string };

export interface PageOptions {
  /** Default 1200 × 900. */
  viewport?: { width: number; height: number };
  /** Reuse this browser instead of launching one for the page. */
  browser?: Browser;
}

/** What the page did while loading and while `fn` ran. */
export interface PageRecord {
  /** Every URL the page requested, in order (the document itself first). */
  requests: string[];
  /** Uncaught exceptions and console errors. */
  errors: string[];
}

/**
 * Opens `source` (a URL, or markup set as the page's content) in a new page, waits for its load
 * event, and runs `fn`; the page (and the browser, unless one was given) is closed afterwards.
 */
export async function withPage<T>(
  source: PageSource,
  fn: (page: Page, seen: PageRecord) => Promise<T>,
  options: PageOptions = {},
): Promise<T> {
  const browser = options.browser ?? (await launchBrowser());
  try {
    const page = await browser.newPage();
    try {
      const seen: PageRecord = { requests: [], errors: [] };
      page.on("request", (r) => seen.requests.push(r.url()));
      page.on("pageerror", (e) => seen.errors.push(String(e)));
      page.on("console", (m) => {
        if (m.type() === "error") seen.errors.push(m.text());
      });
      await page.setViewport(options.viewport ?? { width: 1200, height: 900 });
      if ("url" in source) await page.goto(source.url, { waitUntil: "load" });
      else await page.setContent(source.html, { waitUntil: "load" });
      return await fn(page, seen);
    } finally {
      await page.close();
    }
  } finally {
    if (!options.browser) await browser.close();
  }
}

export type { Browser, Page } from "puppeteer-core";
