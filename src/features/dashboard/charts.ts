export interface Series {
  name: string;
  /** CSS class for the fill; failures also get a hatch pattern so colour is never the only cue. */
  style: 'primary' | 'success' | 'failure';
  values: number[];
}

export interface BarChart {
  id: string;
  title: string;
  width: number;
  height: number;
  plotTop: number;
  plotBottom: number;
  bars: Array<{ x: number; y: number; width: number; height: number; style: Series['style']; title: string }>;
  xLabels: Array<{ x: number; text: string }>;
  yTicks: Array<{ y: number; text: string }>;
  legend: Array<{ name: string; style: Series['style'] }>;
  /** The same numbers as a table, for screen readers and for reading exact values. */
  table: { headers: string[]; rows: Array<[string, ...number[]]> };
}

const WIDTH = 640;
const HEIGHT = 220;
const LEFT = 40;
const RIGHT = 8;
const TOP = 10;
const BOTTOM = 30;

function niceMax(value: number): number {
  if (value <= 5) return 5;
  const magnitude = 10 ** Math.floor(Math.log10(value));
  return [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((m) => m >= value)!;
}

/**
 * Grouped bars over categories (days, rules), drawn as plain SVG geometry by the server: no
 * script, no inline style, nothing fetched.
 */
export function barChart(id: string, title: string, categories: string[], series: Series[], labelEvery = 1,
  shortLabel: (c: string) => string = (c) => c): BarChart {
  const max = niceMax(Math.max(0, ...series.flatMap((s) => s.values)));
  const plotWidth = WIDTH - LEFT - RIGHT;
  const plotHeight = HEIGHT - TOP - BOTTOM;
  const slot = plotWidth / Math.max(1, categories.length);
  const barWidth = Math.max(1, (slot * 0.8) / series.length);
  const bars: BarChart['bars'] = [];
  categories.forEach((category, i) => {
    series.forEach((s, j) => {
      const value = s.values[i] ?? 0;
      const height = (value / max) * plotHeight;
      bars.push({
        x: LEFT + i * slot + slot * 0.1 + j * barWidth, y: TOP + plotHeight - height, width: barWidth, height,
        style: s.style, title: `${category}: ${value.toLocaleString('en')} ${s.name.toLowerCase()}`,
      });
    });
  });
  return {
    id, title, width: WIDTH, height: HEIGHT, plotTop: TOP, plotBottom: TOP + plotHeight, bars,
    xLabels: categories.map((c, i) => ({ x: LEFT + i * slot + slot / 2, text: shortLabel(c) })).filter((_, i) => i % labelEvery === 0),
    yTicks: [0, 0.5, 1].map((f) => ({ y: TOP + plotHeight - f * plotHeight, text: (max * f).toLocaleString('en') })),
    legend: series.map((s) => ({ name: s.name, style: s.style })),
    table: { headers: ['', ...series.map((s) => s.name)], rows: categories.map((c, i) => [c, ...series.map((s) => s.values[i] ?? 0)]) },
  };
}

/** The last `count` UTC days, oldest first, as YYYY-MM-DD. */
export function lastDays(now: Date, count: number): string[] {
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  return Array.from({ length: count }, (_, i) => new Date(today - (count - 1 - i) * 86_400_000).toISOString().slice(0, 10));
}
