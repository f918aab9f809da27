// Preloaded with `node --require` into a child process whose peak memory the parent
// measures (prover/src/proving/peak-rss.ts): at exit, writes the process's peak resident
// set size (getrusage's maxrss, KiB, all threads included) to $ZKCLEAR_PEAK_RSS_FILE.
const fs = require("node:fs");
const file = process.env.ZKCLEAR_PEAK_RSS_FILE;
if (file) {
  process.on("exit", () => {
    try {
      fs.writeFileSync(file, String(process.resourceUsage().maxRSS));
    } catch {
      // the parent reports the figure as unknown
    }
  });
}
