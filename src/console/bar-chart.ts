/** One bar of a chart: its place in the SVG's coordinates, and the text a screen reader and a tooltip give. */
export interface Bar {
  x: number;
  y: number;
  width: number;
  height: number;
  label: string;
  value: number;
}

export interface BarChart {
  width: number;
  height: number;
  /** The highest value (0 when every bar is empty). */
  peak: number;
  bars: Bar[];
  /** Hour marks under the bars, every few bars. */
  ticks: { x: number; text: string }[];
}

const WIDTH = 480;
const HEIGHT = 120;
const GAP = 2;

/**
 * Lays out a bar chart for the template to draw as inline SVG: numbers only, computed here, so the page
 * needs no script and no chart library, and nothing of the data reaches the markup unescaped.
 */
export function barChart(points: { label: string; value: number }[], tickEvery = 6): BarChart {
  const peak = Math.max(0, ...points.map((p) => p.value));
  // all zeros draw no bars rather than dividing by zero
  const max = Math.max(1, peak);
  const slot = WIDTH / Math.max(1, points.length);
  const bars = points.map((p, i) => {
    const height = Math.round((p.value / max) * (HEIGHT - 4));
    return { x: Math.round(i * slot), y: HEIGHT - height, width: Math.max(1, Math.round(slot - GAP)), height, label: p.label, value: p.value };
  });
  const ticks = points.flatMap((p, i) => (i % tickEvery === 0 ? [{ x: Math.round(i * slot), text: p.label }] : []));
  return { width: WIDTH, height: HEIGHT, peak, bars, ticks };
}
