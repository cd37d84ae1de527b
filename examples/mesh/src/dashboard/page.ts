/**
 * The dashboard page: a table of the servers and an SVG chart of clients per server over time, refreshed from
 * /state twice a second, and a chat box connected by WebSocket to one of the servers (`?server=ws2` picks which;
 * any that is up otherwise), which speaks the WebSocket service's chat room. Plain HTML and script, nothing to
 * build or fetch.
 */
export const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>meshbalancer mesh</title>
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 2rem; color: #222; }
  h1 { font-size: 1.3rem; margin: 0 0 .3rem; }
  #summary { color: #555; margin-bottom: 1rem; }
  table { border-collapse: collapse; margin-bottom: 1.5rem; }
  th, td { padding: .3rem .8rem; border-bottom: 1px solid #ddd; text-align: right; }
  th:first-child, td:first-child, td.state { text-align: left; }
  svg { border: 1px solid #ddd; background: #fafafa; }
  .legend span { display: inline-block; margin-right: 1rem; }
  .legend i { display: inline-block; width: .8rem; height: .8rem; margin-right: .3rem; vertical-align: middle; }
  pre { background: #f4f4f4; padding: .6rem; max-width: 60rem; white-space: pre-wrap; }
  #chat-log { list-style: none; padding: .4rem .6rem; margin: .4rem 0; max-width: 60rem; height: 12rem; overflow-y: auto; border: 1px solid #ddd; background: #fafafa; }
  #chat-log .server { color: #777; margin-right: .5rem; }
  #chat-log .error { color: #b00; }
  #chat-input { width: 30rem; }
</style>
</head>
<body>
<h1>meshbalancer mesh</h1>
<div id="summary">connecting…</div>
<table id="nodes">
  <thead><tr><th>server</th><th>state</th><th>clients</th><th>vs mean</th><th>members seen</th><th>rounds</th><th>shed</th></tr></thead>
  <tbody></tbody>
</table>
<div class="legend" id="legend"></div>
<svg id="chart" width="900" height="300" viewBox="0 0 900 300" role="img" aria-label="clients per server over time"></svg>
<pre id="log"></pre>
<h2>Chat</h2>
<p>Whatever is said here reaches every tab and every client, whichever server they are connected to.
<span id="chat-status">not connected</span></p>
<ul id="chat-log"></ul>
<form id="chat-form"><input id="chat-input" autocomplete="off" placeholder="say something"> <button>Send</button></form>
<h2>Metrics of <select id="metrics-node"></select></h2>
<p id="metrics-summary"></p>
<pre id="metrics">loading…</pre>
<script>
const colours = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#7f7f7f', '#bcbd22']
async function refresh () {
  let state
  try { state = await (await fetch('/state')).json() } catch { return }
  const mean = state.clients.total / Math.max(1, state.nodes.length)
  document.getElementById('summary').textContent =
    state.mode + ' mode · ' + state.phase + ' · ' + state.elapsed.toFixed(1) + ' s · clients ' + state.clients.connected + '/' + state.clients.total
  const body = document.querySelector('#nodes tbody')
  body.innerHTML = ''
  for (const node of state.nodes) {
    const row = document.createElement('tr')
    row.dataset.node = node.name
    const deviation = mean === 0 ? 0 : (node.clients - mean) / mean * 100
    for (const [cls, text] of [['name', node.name], ['state', node.state], ['count', node.clients], ['deviation', (deviation >= 0 ? '+' : '') + deviation.toFixed(1) + ' %'], ['members', node.members], ['rounds', node.rounds], ['shed', node.shed]]) {
      const cell = document.createElement('td')
      cell.className = cls
      cell.textContent = String(text)
      row.appendChild(cell)
    }
    body.appendChild(row)
  }
  drawChart(state)
  chatConnect(state.nodes)
  document.getElementById('log').textContent = state.log.join('\\n')
}
function drawChart (state) {
  const svg = document.getElementById('chart')
  const history = state.history.slice(-480)
  const width = 900, height = 300, pad = 30
  const names = state.nodes.map(n => n.name)
  const top = Math.max(1, ...history.flatMap(s => Object.values(s.counts)))
  const t0 = history.length ? history[0].t : 0, t1 = history.length ? history[history.length - 1].t : 1
  const x = t => pad + (t - t0) / Math.max(1e-9, t1 - t0) * (width - 2 * pad)
  const y = c => height - pad - c / top * (height - 2 * pad)
  let markup = '<line x1="' + pad + '" y1="' + y(0) + '" x2="' + (width - pad) + '" y2="' + y(0) + '" stroke="#999"/>'
  markup += '<text x="4" y="' + (y(top) + 4) + '" font-size="11">' + top + '</text><text x="4" y="' + (y(0) + 4) + '" font-size="11">0</text>'
  names.forEach((name, i) => {
    const points = history.map(s => x(s.t).toFixed(1) + ',' + y(s.counts[name] ?? 0).toFixed(1)).join(' ')
    markup += '<polyline data-node="' + name + '" fill="none" stroke-width="2" stroke="' + colours[i % colours.length] + '" points="' + points + '"/>'
  })
  svg.innerHTML = markup
  document.getElementById('legend').innerHTML = names.map((n, i) => '<span><i style="background:' + colours[i % colours.length] + '"></i>' + n + '</span>').join('')
}
async function refreshMetrics () {
  const select = document.getElementById('metrics-node')
  const names = [...document.querySelectorAll('#nodes tbody tr')].map(row => row.dataset.node)
  if (select.options.length !== names.length) select.innerHTML = names.map(n => '<option>' + n + '</option>').join('')
  if (!select.value) return
  try {
    const text = await (await fetch('/metrics/' + select.value)).text()
    const lines = text.split('\\n').filter(line => line.startsWith('meshbalancer_'))
    document.getElementById('metrics').textContent = lines.join('\\n')
    const value = prefix => lines.filter(l => l.startsWith(prefix)).reduce((sum, l) => sum + Number(l.split(' ').pop()), 0)
    document.getElementById('metrics-summary').textContent =
      'records accepted ' + value('meshbalancer_records_accepted_total') + ' · rejected ' + value('meshbalancer_records_rejected_total') +
      ' · shed ' + value('meshbalancer_shed_connections_total') + ' · shedding rounds ' + value('meshbalancer_shed_rounds_total')
  } catch {}
}
// The chat box: one WebSocket to a server of the mesh. A shedding server closes it with code 4000 and names another
// in the reason (followed); after any other close the next refresh connects again.
const chat = { socket: undefined, wanted: new URLSearchParams(location.search).get('server'), server: undefined }
const MAX_CHAT_LINES = 5000
function chatStatus (text, server) {
  const status = document.getElementById('chat-status')
  status.textContent = text
  status.dataset.server = server ?? ''
}
function chatLine (cls, server, text, id) {
  const log = document.getElementById('chat-log')
  const item = document.createElement('li')
  item.className = cls
  if (id) item.dataset.id = id
  const from = document.createElement('span')
  from.className = 'server'
  from.textContent = server
  const body = document.createElement('span')
  body.className = 'text'
  body.textContent = text
  item.append(from, body)
  log.appendChild(item)
  while (log.childElementCount > MAX_CHAT_LINES) log.firstElementChild.remove()
  log.scrollTop = log.scrollHeight
}
function chatConnect (nodes) {
  if (chat.socket !== undefined) return
  const up = nodes.filter(node => node.state === 'up')
  const node = up.find(candidate => candidate.name === chat.wanted) ?? (chat.wanted ? undefined : up[Math.floor(Math.random() * up.length)])
  if (node !== undefined) chatOpen(node.url)
}
function chatOpen (url) {
  const socket = new WebSocket(url)
  chat.socket = socket
  chatStatus('connecting to ' + url)
  socket.onmessage = event => {
    let frame
    try { frame = JSON.parse(event.data) } catch { return }
    if (typeof frame.chat === 'string' && typeof frame.error === 'string') chatLine('error', 'not sent (' + frame.error + ')', frame.chat)
    else if (typeof frame.chat === 'string') chatLine('message', frame.server, frame.chat, frame.id)
    else if (typeof frame.name === 'string') { chat.server = frame.name; chatStatus('connected to ' + frame.name, frame.name) }
  }
  socket.onclose = event => {
    if (chat.socket !== socket) return
    chat.socket = undefined
    chat.server = undefined
    chatStatus('disconnected; reconnecting…')
    if (event.code === 4000 && event.reason) chatOpen(event.reason)
  }
}
function chatSay (text) {
  if (chat.socket === undefined || chat.socket.readyState !== WebSocket.OPEN) {
    chatLine('error', 'not sent (not connected)', text)
    return false
  }
  chat.socket.send(JSON.stringify({ chat: text }))
  return true
}
document.getElementById('chat-form').addEventListener('submit', event => {
  event.preventDefault()
  const input = document.getElementById('chat-input')
  if (input.value !== '' && chatSay(input.value)) input.value = ''
})
refresh()
setInterval(refresh, 500)
setInterval(refreshMetrics, 1000)
</script>
</body>
</html>
`
