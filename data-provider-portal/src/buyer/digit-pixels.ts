/** The side of an MNIST image: the models of the demo read 28×28 grey levels, ink 1 and paper 0. */
export const DIGIT_SIDE = 28;

/**
 * Downsamples a drawing (RGBA bytes of a `width`×`height` canvas, dark ink on white paper) to `side`×`side` grey
 * levels in [0, 1], row-major: each output pixel is the mean ink of the block of canvas pixels it covers, a canvas
 * pixel's ink being its darkness (1 − luminance/255) weighted by its opacity (a transparent pixel is paper). The
 * canvas's sides must be multiples of `side`.
 */
export function downsampleDrawing(
  rgba: Uint8ClampedArray,
  width: number,
  height: number,
  side = DIGIT_SIDE,
): Float32Array {
  if (width % side !== 0 || height % side !== 0) {
    throw new RangeError(`a ${width}×${height} canvas does not split into ${side}×${side} whole blocks`);
  }
  if (rgba.length !== width * height * 4) throw new RangeError(`expected ${width * height * 4} RGBA bytes`);
  const blockX = width / side;
  const blockY = height / side;
  const sums = new Float64Array(side * side);
  for (let y = 0; y < height; y++) {
    const row = Math.floor(y / blockY) * side;
    for (let x = 0; x < width; x++) {
      const at = (y * width + x) * 4;
      const luminance = 0.299 * (rgba[at] ?? 0) + 0.587 * (rgba[at + 1] ?? 0) + 0.114 * (rgba[at + 2] ?? 0);
      const ink = (1 - luminance / 255) * ((rgba[at + 3] ?? 0) / 255);
      const cell = row + Math.floor(x / blockX);
      sums[cell] = (sums[cell] ?? 0) + ink;
    }
  }
  const pixels = new Float32Array(side * side);
  const area = blockX * blockY;
  for (let i = 0; i < pixels.length; i++) pixels[i] = Math.min(1, Math.max(0, (sums[i] ?? 0) / area));
  return pixels;
}
