// Load and attach a page (a Component) with miniprogram-simulate, and wait for what it shows.
const path = require('path')

const ROOT = path.resolve(__dirname, '../..')

function install(wx) {
  global.wx = wx
  // miniprogram-simulate adds its own API mocks under ours; ours win (see its definition.js).
  const simulate = require('miniprogram-simulate')
  Object.assign(global.wx, wx)
  return simulate
}

function render(simulate, pagePath, query) {
  const id = simulate.load(path.join(ROOT, pagePath), { rootPath: ROOT, less: false })
  const comp = simulate.render(id)
  comp.attach(document.createElement('parent-wrapper'))
  const loaded = comp.instance.onLoad ? comp.instance.onLoad(query || {}) : null
  return { comp, loaded: Promise.resolve(loaded) }
}

async function until(check, what, timeoutMs) {
  const deadline = Date.now() + (timeoutMs || 15000)
  let last
  for (;;) {
    try {
      last = check()
      if (last) return last
    } catch (error) { last = error }
    if (Date.now() > deadline) throw new Error('timed out waiting for ' + (what || 'a condition') + ': ' + last)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

function text(comp) {
  return comp.dom.textContent.replace(/\s+/g, ' ')
}

// Type into an <input>/<textarea> the way WeChat reports it: an input event with detail.value.
function type(comp, selector, value) {
  const node = comp.querySelector(selector)
  if (!node) throw new Error('no element ' + selector)
  node.dispatchEvent('input', { detail: { value } })
}

function tap(comp, selector) {
  const node = comp.querySelector(selector)
  if (!node) throw new Error('no element ' + selector)
  node.dispatchEvent('tap')
}

module.exports = { install, render, until, text, type, tap, ROOT }
