import { useEffect, useRef } from "react";
import { downsampleDrawing } from "./digit-pixels.js";
import { SAMPLE_DIGITS } from "./sample-digits.js";

/** The canvas's side: 10 × 28, so each of the model's pixels is a whole 10×10 block. */
const SIDE = 280;
const PEN = 22;

function clear(context: CanvasRenderingContext2D) {
  context.fillStyle = "#ffffff";
  context.fillRect(0, 0, SIDE, SIDE);
  context.strokeStyle = "#000000";
  context.lineWidth = PEN;
  context.lineCap = "round";
  context.lineJoin = "round";
}

/**
 * A digit to send to an MNIST model: drawn with the pointer on a 280×280 canvas, or (from the keyboard) a sample
 * digit picked from the list; each change reports the 28×28 grey levels the model reads (`downsampleDrawing`).
 */
export function DigitPad({ onPixels }: { onPixels(pixels: Float32Array | undefined): void }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const drawing = useRef(false);
  const context = () => canvas.current?.getContext("2d", { willReadFrequently: true }) ?? undefined;
  const report = () => {
    const ctx = context();
    if (ctx !== undefined) onPixels(downsampleDrawing(ctx.getImageData(0, 0, SIDE, SIDE).data, SIDE, SIDE));
  };
  // biome-ignore lint/correctness/useExhaustiveDependencies: the canvas is cleared once, when it mounts
  useEffect(() => {
    const ctx = context();
    if (ctx !== undefined) clear(ctx);
  }, []);
  const at = (event: React.PointerEvent<HTMLCanvasElement>): [number, number] => {
    const box = event.currentTarget.getBoundingClientRect();
    return [((event.clientX - box.left) / box.width) * SIDE, ((event.clientY - box.top) / box.height) * SIDE];
  };
  const sample = (digit: number) => {
    const ctx = context();
    if (ctx === undefined) return;
    clear(ctx);
    for (const stroke of SAMPLE_DIGITS[digit] ?? []) {
      ctx.beginPath();
      stroke.forEach(([x, y], i) => {
        if (i === 0) ctx.moveTo(x * SIDE, y * SIDE);
        else ctx.lineTo(x * SIDE, y * SIDE);
      });
      ctx.stroke();
    }
    report();
  };
  return (
    <div className="digit-pad">
      <canvas
        ref={canvas}
        width={SIDE}
        height={SIDE}
        className="digit-canvas"
        aria-label="Drawing area: draw one digit with the mouse, a pen or a finger"
        onPointerDown={(event) => {
          const ctx = context();
          if (ctx === undefined) return;
          event.currentTarget.setPointerCapture(event.pointerId);
          drawing.current = true;
          const [x, y] = at(event);
          ctx.beginPath();
          ctx.moveTo(x, y);
          ctx.lineTo(x, y);
          ctx.stroke();
        }}
        onPointerMove={(event) => {
          const ctx = context();
          if (!drawing.current || ctx === undefined) return;
          const [x, y] = at(event);
          ctx.lineTo(x, y);
          ctx.stroke();
        }}
        onPointerUp={() => {
          drawing.current = false;
          report();
        }}
      />
      <div className="digit-controls">
        <label>
          Or pick a sample digit
          <select defaultValue="" onChange={(event) => sample(Number(event.target.value))}>
            <option value="" disabled>
              choose…
            </option>
            {SAMPLE_DIGITS.map((_, digit) => (
              <option key={String(digit)} value={digit}>
                {digit}
              </option>
            ))}
          </select>
        </label>
        <button
          type="button"
          onClick={() => {
            const ctx = context();
            if (ctx !== undefined) clear(ctx);
            onPixels(undefined);
          }}
        >
          Clear
        </button>
      </div>
    </div>
  );
}
