import fc from "fast-check";
import * as net from "net";
import { DelayQueue, delayPipe } from "../../lab/delay-proxy";

describe("DelayQueue", () => {
  test("releases a chunk only when its delay has passed", () => {
    const q = new DelayQueue();
    q.push(Buffer.from("a"), 1000, 50);
    expect(q.takeDue(1049)).toEqual([]);
    expect(q.takeDue(1050).map(String)).toEqual(["a"]);
    expect(q.empty).toBe(true);
  });

  test("a lowered delay never lets a later chunk overtake an earlier one", () => {
    const q = new DelayQueue();
    q.push(Buffer.from("slow"), 0, 100);
    const due = q.push(Buffer.from("fast"), 10, 0);
    expect(due).toBe(100);
    expect(q.takeDue(50)).toEqual([]);
    expect(q.takeDue(100).map(String)).toEqual(["slow", "fast"]);
  });

  test("for any arrivals and delays the output is the input in order and byte counts add up", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(50), fc.nat(200), fc.string({ minLength: 1, maxLength: 5 })), {
          maxLength: 40,
        }),
        (events) => {
          const q = new DelayQueue();
          let now = 0;
          const out: string[] = [];
          for (const [gap, delay, s] of events) {
            now += gap;
            out.push(...q.takeDue(now).map(String));
            q.push(Buffer.from(s), now, delay);
          }
          expect(q.bytes).toBe(
            events.map((e) => Buffer.byteLength(e[2])).reduce((a, b) => a + b, 0) -
              Buffer.byteLength(out.join("")),
          );
          out.push(...q.takeDue(Number.MAX_SAFE_INTEGER).map(String));
          expect(out).toEqual(events.map((e) => e[2]));
          expect(q.bytes).toBe(0);
        },
      ),
    );
  });
});

describe("delayPipe over real sockets", () => {
  let echo: net.Server;
  let proxy: net.Server;
  let delay = 0;
  /** Per-connection delays, by the client's port (the rest use `delay`). */
  const delays = new Map<number, number>();
  let port = 0;
  beforeAll(async () => {
    echo = net.createServer((s) => s.pipe(s));
    await new Promise<void>((r) => echo.listen(0, "127.0.0.1", r));
    const echoPort = (echo.address() as net.AddressInfo).port;
    proxy = net.createServer({ allowHalfOpen: true }, (c) => {
      const up = net.connect({ host: "127.0.0.1", port: echoPort, allowHalfOpen: true });
      const oneWay = (): number => (delays.get(c.remotePort as number) ?? delay) / 2;
      delayPipe(c, up, oneWay);
      delayPipe(up, c, oneWay);
    });
    await new Promise<void>((r) => proxy.listen(0, "127.0.0.1", r));
    port = (proxy.address() as net.AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise((r) => proxy.close(r));
    await new Promise((r) => echo.close(r));
  });

  /** Send one byte on each socket in turn; the names in the order their echoes came back. */
  async function echoOrder(socks: Array<[string, net.Socket]>): Promise<string[]> {
    const order: string[] = [];
    await Promise.all(
      socks.map(
        ([name, sock]) =>
          new Promise<void>((resolve) => {
            sock.once("data", () => {
              order.push(name);
              resolve();
            });
            sock.write("x");
          }),
      ),
    );
    return order;
  }

  // Ordering, not timing (the delay's size is DelayQueue's tests above, with a fake clock, and
  // `npm run bench -- lab` end to end): a delayed echo sent first comes back after an undelayed
  // one sent second, and lowering the delay to 0 undoes it.
  test("a delayed connection's echo comes back after an undelayed one's, and 0 turns the delay off", async () => {
    const connect = async (): Promise<net.Socket> => {
      const s = net.connect({ host: "127.0.0.1", port });
      await new Promise((r) => s.once("connect", r));
      return s;
    };
    const [s1, s2] = [await connect(), await connect()];
    try {
      delays.set(s1.localPort as number, 2_000);
      expect(
        await echoOrder([
          ["delayed", s1],
          ["undelayed", s2],
        ]),
      ).toEqual(["undelayed", "delayed"]);
      delays.set(s1.localPort as number, 0);
      delays.set(s2.localPort as number, 2_000);
      expect(
        await echoOrder([
          ["lowered to 0", s1],
          ["delayed", s2],
        ]),
      ).toEqual(["lowered to 0", "delayed"]);
    } finally {
      delays.clear();
      s1.destroy();
      s2.destroy();
    }
  });

  test("a half-close is passed on after the queued data", async () => {
    delay = 40;
    const s = net.connect({ host: "127.0.0.1", port, allowHalfOpen: true });
    let got = "";
    s.on("data", (b) => (got += b.toString()));
    const ended = new Promise((r) => s.once("end", r));
    s.end("hello");
    await ended;
    delay = 0;
    expect(got).toBe("hello");
  });
});
