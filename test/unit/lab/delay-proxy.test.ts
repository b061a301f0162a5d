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
  let port = 0;
  beforeAll(async () => {
    echo = net.createServer((s) => s.pipe(s));
    await new Promise<void>((r) => echo.listen(0, "127.0.0.1", r));
    const echoPort = (echo.address() as net.AddressInfo).port;
    proxy = net.createServer({ allowHalfOpen: true }, (c) => {
      const up = net.connect({ host: "127.0.0.1", port: echoPort, allowHalfOpen: true });
      delayPipe(c, up, () => delay / 2);
      delayPipe(up, c, () => delay / 2);
    });
    await new Promise<void>((r) => proxy.listen(0, "127.0.0.1", r));
    port = (proxy.address() as net.AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise((r) => proxy.close(r));
    await new Promise((r) => echo.close(r));
  });

  async function roundTrip(sock: net.Socket): Promise<number> {
    const t0 = performance.now();
    return new Promise((resolve) => {
      sock.once("data", () => resolve(performance.now() - t0));
      sock.write("x");
    });
  }

  test("a round trip grows by the set delay (half each way) and shrinks back when it is lowered", async () => {
    const s = net.connect({ host: "127.0.0.1", port });
    await new Promise((r) => s.once("connect", r));
    // Medians, so one scheduling hiccup of a loaded runner cannot decide the test.
    const median = async (): Promise<number> => {
      const xs: number[] = [];
      for (let i = 0; i < 5; i++) xs.push(await roundTrip(s));
      return xs.sort((a, b) => a - b)[2];
    };
    const base = await median();
    delay = 80;
    const slow = await median();
    delay = 0;
    const fast = await median();
    s.destroy();
    // The delay is a floor no scheduling can undercut; the ceiling allows a loaded runner.
    expect(slow).toBeGreaterThanOrEqual(78);
    expect(slow - base).toBeLessThan(160);
    expect(fast).toBeLessThan(base + 40);
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
