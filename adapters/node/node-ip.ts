import { networkInterfaces } from "node:os";

/** The node's IP: --node-ip, else the first non-internal IPv4 address, else 127.0.0.1. */
export function detectNodeIp(given: string): string {
  if (given) return given;
  for (const addrs of Object.values(networkInterfaces())) {
    for (const a of addrs ?? []) if (a.family === "IPv4" && !a.internal) return a.address;
  }
  return "127.0.0.1";
}
