import { listFixtures, readFixture } from "../fixtures";

describe("fixture reader", () => {
  it("reads every .txt fixture with its documented byte counts", () => {
    const txt = listFixtures().filter((f) => f.endsWith(".txt") && f !== "README.md");
    expect(txt.length).toBeGreaterThan(300);
    for (const f of txt) {
      const fx = readFixture(f);
      expect(Number.isInteger(fx.exit)).toBe(true);
      expect(fx.host).toMatch(/^docker\d$/);
    }
  });

  it("keeps stdout bytes exact, trailing newline included", () => {
    const fx = readFixture("16-docker1-weave-rmpeer-docker4.txt");
    expect(fx.command).toBe("weave rmpeer 02:00:00:00:00:02");
    expect(fx.stdout).toBe("16 IPs taken over from 02:00:00:00:00:02\n");
    expect(fx.stderr).toBe("");
    expect(fx.exit).toBe(0);
  });

  it("reports the removed-command message on stderr with exit 1", () => {
    const fx = readFixture("01-docker1-weave-launch-router.txt");
    expect(fx.exit).toBe(1);
    expect(fx.stderr).toContain(
      "The 'weave launch-router' command has been removed as of Weave Net version 2.0",
    );
  });
});
