import fc from "fast-check";
import { backoffDelay, backoffSchedule } from "./backoff";

describe("connect backoff", () => {
  test("the whole schedule never sleeps past the budget, whatever the randomness", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 300_000 }),
        fc.array(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), { minLength: 1 }),
        (budget, rs) => {
          let i = 0;
          const random = (): number => rs[i++ % rs.length];
          const schedule = backoffSchedule(budget, random);
          expect(schedule.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(budget);
          expect(schedule.every((d) => d > 0)).toBe(true);
        },
      ),
    );
  });

  test("delays grow exponentially from 125–250 ms and level off at 2–4 s", () => {
    const lo = (): number => 0;
    const hi = (): number => 0.999999;
    expect([0, 1, 2, 3, 4, 5, 6, 10].map((a) => backoffDelay(a, 1e9, lo))).toEqual([
      125, 250, 500, 1000, 2000, 2000, 2000, 2000,
    ]);
    expect([0, 1, 2, 3, 4, 5].map((a) => backoffDelay(a, 1e9, hi))).toEqual([
      250, 500, 1000, 2000, 4000, 4000,
    ]);
  });

  test("a delay is clipped to the time left", () => {
    expect(backoffDelay(8, 300, () => 0.5)).toBe(300);
    expect(backoffDelay(0, 0, () => 0.5)).toBe(0);
  });

  test("a 60 s budget still polls often: at least 15 attempts", () => {
    expect(backoffSchedule(60_000, () => 1).length).toBeGreaterThanOrEqual(15);
  });
});
