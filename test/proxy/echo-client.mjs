// Client for the proxy e2e tests, run inside the client namespace:
//   ip netns exec <ns> node echo-client.mjs '<json>'
// json = { proto: "tcp"|"udp", host, port, count, timeoutMs, localPort? }.
// Makes `count` sequential requests and prints a JSON array with, per request,
// the answering pod's name, or "refused", "timeout", "error:<code>".
import dgram from "node:dgram";
import net from "node:net";

const opts = JSON.parse(process.argv[2] ?? "{}");
const count = Math.min(Math.max(1, opts.count ?? 1), 500);
const timeoutMs = Math.min(opts.timeoutMs ?? 1000, 10_000);

function tcpOnce() {
  return new Promise((resolve) => {
    let data = "";
    let done = false;
    const finish = (r) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      resolve(r);
    };
    const sock = net.connect({
      host: opts.host,
      port: opts.port,
      ...(opts.localPort ? { localPort: opts.localPort } : {}),
    });
    const timer = setTimeout(() => finish(data ? data.split(" ")[0] : "timeout"), timeoutMs);
    sock.on("data", (b) => {
      data += b.toString();
      if (data.includes("\n")) finish(data.trim().split(" ")[0]);
    });
    sock.on("error", (e) =>
      finish(
        e.code === "ECONNREFUSED" ? "refused" : e.code === "EHOSTUNREACH" ? "unreachable" : `error:${e.code}`,
      ),
    );
    sock.on("end", () => finish(data ? data.trim().split(" ")[0] : "closed"));
  });
}

function udpOnce() {
  return new Promise((resolve) => {
    const s = dgram.createSocket({ type: "udp4", reuseAddr: true });
    let done = false;
    const finish = (r) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      s.close();
      resolve(r);
    };
    const timer = setTimeout(() => finish("timeout"), timeoutMs);
    s.on("message", (m) => finish(m.toString().trim().split(" ")[0]));
    s.on("error", (e) => finish(e.code === "ECONNREFUSED" ? "refused" : `error:${e.code}`));
    s.bind(opts.localPort ?? 0, () => {
      s.connect(opts.port, opts.host, (err) => {
        if (err) return finish(`error:${err.code}`);
        s.send("ping");
      });
    });
  });
}

const results = [];
for (let i = 0; i < count; i++) results.push(await (opts.proto === "udp" ? udpOnce() : tcpOnce()));
process.stdout.write(`${JSON.stringify(results)}\n`);
