import * as path from "path";
import { allOk, listBenches, median, renderTable } from "../../bench/run";

describe("bench runner", () => {
  test("median of odd and even counts", () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });

  test("finds the bench modules by file name", () => {
    expect(listBenches(path.resolve(__dirname, "..", "..", "bench"))).toEqual(
      expect.arrayContaining(["plan"]),
    );
  });

  test("table shows value/target ratios and flags misses and failures", () => {
    const rows = [
      { bench: "plan", result: { name: "fast", value: 40, unit: "ms", target: 100 } },
      { bench: "plan", result: { name: "slow", value: 150, unit: "ms", target: 100, note: "n" } },
      { bench: "lab", error: "ssh failed" },
    ];
    expect(renderTable(rows)).toBe(
      [
        "BENCH  NAME  VALUE  UNIT  TARGET  RATIO  STATUS  NOTE",
        "plan   fast  40.00  ms    100     0.400  ok",
        "plan   slow  150    ms    100     1.500  MISSED  n",
        "lab    -     -      -     -       -      FAILED  ssh failed",
        "",
      ].join("\n"),
    );
    expect(allOk(rows.slice(0, 1))).toBe(true);
    expect(allOk(rows.slice(0, 2))).toBe(false);
    expect(allOk(rows.slice(2))).toBe(false);
  });
});
