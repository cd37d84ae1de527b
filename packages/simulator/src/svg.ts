/** A series of a line chart: points as [x, y]. */
export interface Series {
  readonly name: string
  readonly points: ReadonlyArray<readonly [number, number]>
}

export interface LineChart {
  readonly title: string
  readonly xLabel: string
  readonly yLabel: string
  readonly series: readonly Series[]
  /** Fixed y range; by default 0 to the largest value. */
  readonly yMax?: number
}

const WIDTH = 720
const HEIGHT = 360
const MARGIN = { left: 64, right: 150, top: 40, bottom: 48 }
const COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b']

/** A self-contained SVG line chart with axes, ticks and a legend: small enough to read in a diff. */
export function lineChart (chart: LineChart): string {
  const xs = chart.series.flatMap(s => s.points.map(([x]) => x))
  const ys = chart.series.flatMap(s => s.points.map(([, y]) => y))
  const xMin = Math.min(0, ...xs)
  const xMax = Math.max(1, ...xs)
  const yMax = chart.yMax ?? Math.max(1, ...ys)
  const plotW = WIDTH - MARGIN.left - MARGIN.right
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom
  const x = (v: number): number => MARGIN.left + (v - xMin) / (xMax - xMin) * plotW
  const y = (v: number): number => MARGIN.top + plotH - Math.min(v, yMax) / yMax * plotH
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="12">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="white"/>`,
    `<text x="${WIDTH / 2 - MARGIN.right / 2}" y="22" text-anchor="middle" font-size="14">${escape(chart.title)}</text>`,
    `<line x1="${MARGIN.left}" y1="${y(0)}" x2="${MARGIN.left + plotW}" y2="${y(0)}" stroke="#333"/>`,
    `<line x1="${MARGIN.left}" y1="${MARGIN.top}" x2="${MARGIN.left}" y2="${y(0)}" stroke="#333"/>`
  ]
  for (const tick of ticks(xMin, xMax)) {
    parts.push(`<line x1="${x(tick)}" y1="${y(0)}" x2="${x(tick)}" y2="${y(0) + 4}" stroke="#333"/>`,
      `<text x="${x(tick)}" y="${y(0) + 17}" text-anchor="middle">${format(tick)}</text>`)
  }
  for (const tick of ticks(0, yMax)) {
    parts.push(`<line x1="${MARGIN.left}" y1="${y(tick)}" x2="${MARGIN.left + plotW}" y2="${y(tick)}" stroke="#eee"/>`,
      `<text x="${MARGIN.left - 6}" y="${y(tick) + 4}" text-anchor="end">${format(tick)}</text>`)
  }
  parts.push(`<text x="${MARGIN.left + plotW / 2}" y="${HEIGHT - 10}" text-anchor="middle">${escape(chart.xLabel)}</text>`,
    `<text transform="translate(16 ${MARGIN.top + plotH / 2}) rotate(-90)" text-anchor="middle">${escape(chart.yLabel)}</text>`)
  chart.series.forEach((series, i) => {
    const colour = COLOURS[i % COLOURS.length]!
    const path = series.points.map(([px, py]) => `${x(px).toFixed(1)},${y(py).toFixed(1)}`).join(' ')
    parts.push(`<polyline fill="none" stroke="${colour}" stroke-width="2" points="${path}"/>`,
      `<rect x="${WIDTH - MARGIN.right + 12}" y="${MARGIN.top + i * 20}" width="12" height="12" fill="${colour}"/>`,
      `<text x="${WIDTH - MARGIN.right + 30}" y="${MARGIN.top + i * 20 + 10}">${escape(series.name)}</text>`)
  })
  parts.push('</svg>', '')
  return parts.join('\n')
}

function ticks (from: number, to: number): number[] {
  const span = to - from
  const step = 10 ** Math.floor(Math.log10(span / 4 || 1))
  const nice = [1, 2, 5, 10].map(m => m * step).find(s => span / s <= 8) ?? step * 10
  const result: number[] = []
  for (let v = Math.ceil(from / nice) * nice; v <= to + 1e-9; v += nice) result.push(Math.round(v * 1e6) / 1e6)
  return result
}

function format (value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(2).replace(/0+$/, '')
}

function escape (text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}
