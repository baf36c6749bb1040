// A tiny TCP/UDP echo server for the proxy e2e tests: answers every connection or
// datagram with "<name> <client address>\n". Run inside a pod namespace with
//   ip netns exec <ns> node echo-server.mjs <name> <tcpPorts,...> <udpPorts,...>
// It prints "ready" once every socket listens.
import dgram from "node:dgram";
import net from "node:net";

const [name = "pod", tcpArg = "", udpArg = ""] = process.argv.slice(2);
const ports = (s) => s.split(",").filter(Boolean).map(Number);
let pending = 0;
const listening = () => {
  pending--;
  if (pending === 0) process.stdout.write("ready\n");
};
for (const port of ports(tcpArg)) {
  pending++;
  net
    .createServer((sock) => {
      sock.on("error", () => {});
      sock.end(`${name} ${sock.remoteAddress}\n`);
    })
    .listen(port, "0.0.0.0", listening);
}
for (const port of ports(udpArg)) {
  pending++;
  const s = dgram.createSocket("udp4");
  s.on("message", (_msg, rinfo) => s.send(`${name} ${rinfo.address}\n`, rinfo.port, rinfo.address));
  s.bind(port, "0.0.0.0", listening);
}
if (pending === 0) process.stdout.write("ready\n");
process.on("SIGTERM", () => process.exit(0));
