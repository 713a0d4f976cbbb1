// The app's page for the Chromium tests (t/020, t/027): t/js/page at /,
// t/js/node_modules below /node_modules, on 127.0.0.1:PORT, its own origin.
import http from 'node:http'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const here = path.dirname(fileURLToPath(import.meta.url))
const types = { '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript' }

// like a development server: an import without extension is its .js
export async function servePage (port) {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://x')
    const rel = url.pathname === '/' ? 'page/index.html' : url.pathname.startsWith('/node_modules/')
      ? url.pathname.slice(1) : 'page' + url.pathname
    let file = path.normalize(path.join(here, rel))
    // the module build imports './GoTrueClient': resolved as a bundler would
    if (!fs.existsSync(file) && fs.existsSync(file + '.js')) file += '.js'
    else if (fs.existsSync(path.join(file, 'index.js'))) file = path.join(file, 'index.js')
    if (!file.startsWith(here + path.sep) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      res.writeHead(404).end()
      return
    }
    res.writeHead(200, { 'Content-Type': types[path.extname(file)] ?? 'application/octet-stream' })
    fs.createReadStream(file).pipe(res)
  })
  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve))
  return server
}
