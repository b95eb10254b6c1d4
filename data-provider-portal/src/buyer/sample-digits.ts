/**
 * Sample digits to try a model without drawing (the keyboard's way in): each digit is a few pen strokes, polylines
 * in the unit square (x right, y down), drawn on the canvas as a hand would and downsampled like any drawing.
 */
export const SAMPLE_DIGITS: readonly (readonly (readonly [number, number])[])[][] = [
  [ellipse(0.5, 0.5, 0.2, 0.3)],
  [
    [
      [0.4, 0.3],
      [0.52, 0.18],
      [0.52, 0.82],
    ],
  ],
  [
    [
      [0.3, 0.32],
      [0.4, 0.2],
      [0.6, 0.2],
      [0.7, 0.32],
      [0.65, 0.45],
      [0.3, 0.8],
      [0.72, 0.8],
    ],
  ],
  [
    [
      [0.3, 0.22],
      [0.66, 0.22],
      [0.48, 0.45],
      [0.68, 0.6],
      [0.6, 0.78],
      [0.3, 0.78],
    ],
  ],
  [
    [
      [0.62, 0.82],
      [0.62, 0.18],
      [0.28, 0.6],
      [0.76, 0.6],
    ],
  ],
  [
    [
      [0.7, 0.2],
      [0.36, 0.2],
      [0.33, 0.46],
      [0.6, 0.45],
      [0.7, 0.6],
      [0.6, 0.78],
      [0.3, 0.78],
    ],
  ],
  [
    [
      [0.66, 0.2],
      [0.42, 0.38],
      [0.33, 0.62],
      [0.45, 0.8],
      [0.62, 0.76],
      [0.67, 0.6],
      [0.5, 0.5],
      [0.35, 0.6],
    ],
  ],
  [
    [
      [0.28, 0.2],
      [0.72, 0.2],
      [0.45, 0.82],
    ],
  ],
  [ellipse(0.5, 0.34, 0.14, 0.14), ellipse(0.5, 0.65, 0.17, 0.16)],
  [
    ellipse(0.5, 0.34, 0.15, 0.14),
    [
      [0.65, 0.34],
      [0.6, 0.82],
    ],
  ],
];

function ellipse(cx: number, cy: number, rx: number, ry: number): [number, number][] {
  const points: [number, number][] = [];
  for (let i = 0; i <= 24; i++) {
    const angle = (2 * Math.PI * i) / 24;
    points.push([cx + rx * Math.cos(angle), cy + ry * Math.sin(angle)]);
  }
  return points;
}
