// Preloaded with `node --require` into a child process whose peak memory the parent
// measures (prover/src/proving/peak-rss.ts): at exit, writes the process's peak resident
// set size in KiB (all threads) to $ZKCLEAR_PEAK_RSS_FILE. On Linux this is VmHWM from
// /proc/self/status: getrusage's maxrss also counts the parent's memory at the fork that
// started this process, VmHWM only this program's.
const fs = require("node:fs");
const file = process.env.ZKCLEAR_PEAK_RSS_FILE;

function peakKiB() {
  try {
    const m = /^VmHWM:\s+(\d+) kB/m.exec(fs.readFileSync("/proc/self/status", "utf8"));
    if (m) return Number(m[1]);
  } catch {
    // not Linux: fall back to getrusage
  }
  return process.resourceUsage().maxRSS;
}

if (file) {
  process.on("exit", () => {
    try {
      fs.writeFileSync(file, String(peakKiB()));
    } catch {
      // the parent reports the figure as unknown
    }
  });
}
module.exports = { peakKiB };
