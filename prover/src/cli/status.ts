import type { Command } from "commander";
import { api, print, type Output } from "./common.ts";

export function register(program: Command, out: () => Output): void {
  program
    .command("status <orderId>")
    .description("an order's status at the operator")
    .option("--api <url>", "operator API", "http://127.0.0.1:8080")
    .action(async (id: string, o: { api: string }) => {
      const r = await api(o.api, "GET", `/v1/orders/${encodeURIComponent(id)}`);
      print(
        out(),
        r,
        `order ${r.id}: ${r.status}, ${r.remaining} left${r.reason ? ` (${r.reason})` : ""}`,
      );
    });
}
