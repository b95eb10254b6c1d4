import { useId } from "react";

export interface Series {
  readonly name: string;
  /** y per x; null where the series has no value. */
  readonly values: readonly (number | null)[];
  readonly colour: string;
}

export interface LineChartProps {
  readonly title: string;
  /** x labels, one per point (e.g. round numbers). */
  readonly xs: readonly string[];
  readonly xLabel: string;
  readonly series: readonly Series[];
  /** A horizontal reference line (e.g. a budget), drawn dashed. */
  readonly limit?: { readonly label: string; readonly value: number } | undefined;
  readonly format?: (value: number) => string;
}

const WIDTH = 560;
const HEIGHT = 220;
const PAD = { left: 52, right: 12, top: 12, bottom: 34 };

/** The y range drawn: every value and the limit, from 0 when all are non-negative. */
export function yRange(series: readonly Series[], limit?: number): [number, number] {
  const values = series.flatMap((one) => one.values.filter((value): value is number => value !== null));
  if (limit !== undefined) values.push(limit);
  if (values.length === 0) return [0, 1];
  const low = Math.min(0, ...values);
  const high = Math.max(...values);
  return high === low ? [low, low + 1] : [low, high];
}

/**
 * A small SVG line chart (no library: the portal's bundle stays small). Screen readers get the title and a table of
 * the same numbers, which a sighted user can open too.
 */
export function LineChart({ title, xs, xLabel, series, limit, format = (v) => v.toPrecision(3) }: LineChartProps) {
  const id = useId();
  if (series.every((one) => one.values.every((value) => value === null))) {
    return <p className="empty">{title}: no value reported yet.</p>;
  }
  const [low, high] = yRange(series, limit?.value);
  const x = (i: number) => PAD.left + (xs.length <= 1 ? 0 : (i / (xs.length - 1)) * (WIDTH - PAD.left - PAD.right));
  const y = (v: number) => PAD.top + (1 - (v - low) / (high - low)) * (HEIGHT - PAD.top - PAD.bottom);
  return (
    <figure className="chart">
      <figcaption id={`${id}-title`}>{title}</figcaption>
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-labelledby={`${id}-title`}>
        <title>{title}</title>
        <line x1={PAD.left} x2={PAD.left} y1={PAD.top} y2={HEIGHT - PAD.bottom} className="axis" />
        <line x1={PAD.left} x2={WIDTH - PAD.right} y1={HEIGHT - PAD.bottom} y2={HEIGHT - PAD.bottom} className="axis" />
        <text x={4} y={y(high) + 4} className="tick">
          {format(high)}
        </text>
        <text x={4} y={y(low) + 4} className="tick">
          {format(low)}
        </text>
        {xs.map((label, i) => (
          <text key={label} x={x(i)} y={HEIGHT - PAD.bottom + 14} className="tick" textAnchor="middle">
            {label}
          </text>
        ))}
        <text x={WIDTH / 2} y={HEIGHT - 4} className="tick" textAnchor="middle">
          {xLabel}
        </text>
        {limit === undefined ? null : (
          <line
            x1={PAD.left}
            x2={WIDTH - PAD.right}
            y1={y(limit.value)}
            y2={y(limit.value)}
            className="limit"
            data-testid="chart-limit"
          />
        )}
        {series.map((one) => {
          const points = one.values
            .map((value, i) => (value === null ? null : `${x(i).toFixed(1)},${y(value).toFixed(1)}`))
            .filter((point) => point !== null);
          return (
            <g key={one.name} data-series={one.name}>
              <polyline points={points.join(" ")} fill="none" stroke={one.colour} strokeWidth={2} />
              {one.values.map((value, i) =>
                value === null ? null : (
                  // biome-ignore lint/suspicious/noArrayIndexKey: one point per x
                  <circle key={i} cx={x(i)} cy={y(value)} r={3} fill={one.colour} />
                ),
              )}
            </g>
          );
        })}
      </svg>
      <p className="legend">
        {series.map((one) => (
          <span key={one.name} style={{ borderColor: one.colour }}>
            {one.name}
          </span>
        ))}
        {limit === undefined ? null : <span className="limit-key">{limit.label}</span>}
      </p>
      <details>
        <summary>Show the numbers</summary>
        <table>
          <thead>
            <tr>
              <th scope="col">{xLabel}</th>
              {series.map((one) => (
                <th scope="col" key={one.name}>
                  {one.name}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {xs.map((label, i) => (
              <tr key={label}>
                <th scope="row">{label}</th>
                {series.map((one) => {
                  const value = one.values[i];
                  return <td key={one.name}>{value === null || value === undefined ? "—" : format(value)}</td>;
                })}
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </figure>
  );
}
