import type { MeshState } from './scenario.js'

const BAR_WIDTH = 30

/** Renders the mesh as a table that redraws in place: each server's clients, its shedding rounds and sheds. */
export function renderTable (state: MeshState): string {
  const most = Math.max(1, ...state.nodes.map(node => node.clients))
  const mean = state.clients.total / Math.max(1, state.nodes.length)
  const lines = [
    `meshbalancer mesh · ${state.mode} mode · ${state.phase} · ${state.elapsed.toFixed(1)} s · clients ${state.clients.connected}/${state.clients.total}`,
    '',
    `${'server'.padEnd(8)}${'state'.padEnd(10)}${'clients'.padStart(8)}  ${''.padEnd(BAR_WIDTH)}  ${'vs mean'.padStart(8)}${'rounds'.padStart(8)}${'shed'.padStart(7)}`
  ]
  for (const node of state.nodes) {
    const bar = '█'.repeat(Math.round(node.clients / most * BAR_WIDTH)).padEnd(BAR_WIDTH)
    const deviation = mean === 0 ? 0 : (node.clients - mean) / mean * 100
    lines.push(`${node.name.padEnd(8)}${node.state.padEnd(10)}${String(node.clients).padStart(8)}  ${bar}  ${`${deviation >= 0 ? '+' : ''}${deviation.toFixed(1)}%`.padStart(8)}${String(node.rounds).padStart(8)}${String(node.shed).padStart(7)}`)
  }
  lines.push('', ...state.log)
  return lines.join('\n')
}

/** Redraws `render()` on a terminal every 500 ms; returns a function that stops. */
export function liveTable (render: () => string): () => void {
  const draw = (): void => { process.stdout.write(`\x1b[H\x1b[2J${render()}\n`) }
  draw()
  const timer = setInterval(draw, 500)
  return () => { clearInterval(timer); draw() }
}
