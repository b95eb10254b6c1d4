/** @vitest-environment jsdom */
import { cleanup, render, screen, within } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";
import { LineChart } from "./line-chart.js";

afterEach(cleanup);

const XS = ["0", "1", "2"];

describe("LineChart", () => {
  it("is an image named by its title, whose table gives a screen reader the same numbers", () => {
    render(
      <LineChart
        title="Loss per round"
        xs={XS}
        xLabel="round"
        series={[{ name: "loss", values: [2.5, 1.25, null], colour: "#000" }]}
      />,
    );
    expect(screen.getByRole("img", { name: "Loss per round" })).toBeTruthy();
    const rows = within(screen.getByRole("table")).getAllByRole("row");
    expect(rows.map((row) => row.textContent)).toEqual(["roundloss", "02.50", "11.25", "2—"]);
  });

  it("draws a point per value at the scale's closed form, and the budget line above them", () => {
    const { container } = render(
      <LineChart
        title="ε"
        xs={XS}
        xLabel="round"
        series={[{ name: "ε", values: [1, 2, 4], colour: "#000" }]}
        limit={{ label: "budget", value: 8 }}
      />,
    );
    // Plot area: x from 52 to 548 (viewBox 560 − 12), y from 12 (value 8) down to 186 (value 0).
    const points = [...container.querySelectorAll("circle")].map((c) => [c.getAttribute("cx"), c.getAttribute("cy")]);
    const y = (v: number) => 12 + (1 - v / 8) * 174;
    expect(points.map(([cx, cy]) => [Number(cx), Number(cy)])).toEqual([
      [52, y(1)],
      [300, y(2)],
      [548, y(4)],
    ]);
    expect(Number(screen.getByTestId("chart-limit").getAttribute("y1"))).toBe(12);
  });

  it("says so instead of drawing empty axes when nothing was reported", () => {
    render(
      <LineChart
        title="Accuracy"
        xs={XS}
        xLabel="round"
        series={[{ name: "a", values: [null, null, null], colour: "#000" }]}
      />,
    );
    expect(screen.queryByRole("img")).toBeNull();
    expect(screen.getByText("Accuracy: no value reported yet.")).toBeTruthy();
  });
});
