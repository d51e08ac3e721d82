// Load and attach a page (a Component) with miniprogram-simulate, and wait for what it shows.
const path = require('path')

const ROOT = path.resolve(__dirname, '../..')

let runtime = null

// wcc's output for the same templates is the same: compile once per test file, not once per render.
function rememberCompiledTemplates() {
  const compiler = require('miniprogram-compiler')
  if (compiler.remembered) return
  const compile = compiler.wxmlToJs
  global.compiledTemplates = global.compiledTemplates || {}
  compiler.wxmlToJs = (root, options) => {
    const key = root + JSON.stringify(options || {})
    if (!global.compiledTemplates[key]) global.compiledTemplates[key] = compile.call(compiler, root, options)
    return global.compiledTemplates[key]
  }
  compiler.remembered = true
}

function install(wx) {
  runtime = wx
  global.wx = wx
  // miniprogram-simulate adds its own API mocks under ours; ours win (see its definition.js).
  const simulate = require('miniprogram-simulate')
  Object.assign(global.wx, wx)
  rememberCompiledTemplates()
  return simulate
}

// Each render starts from fresh modules: jest keeps required files, so a page's or component's Component()
// would otherwise run only once per test file and a second page could not use the same component.
function render(_simulate, pagePath, query) {
  jest.resetModules()
  const simulate = install(runtime)
  const id = simulate.load(path.join(ROOT, pagePath), { rootPath: ROOT, less: false })
  const comp = simulate.render(id)
  comp.attach(document.createElement('parent-wrapper'))
  const loaded = comp.instance.onLoad ? comp.instance.onLoad(query || {}) : null
  return { comp, loaded: Promise.resolve(loaded) }
}

// Open a page on a runtime as WeChat does (the query its link gives) and wait for its onLoad: the page.
async function open(wx, pagePath, query) {
  const { comp, loaded } = render(install(wx), pagePath, query)
  await loaded
  return comp
}

async function until(check, what, timeoutMs) {
  const deadline = Date.now() + (timeoutMs || 30000)
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

// Every one of `words` is in what a page, or one part of it, shows.
function expectShown(comp, words) {
  const shown = text(comp)
  words.forEach((word) => expect(shown).toContain(word))
}

// Type into an <input>/<textarea> the way WeChat reports it: an input event with detail.value.
// Events reach the page's handler on a later turn of the event loop: each helper lets it run.
const settle = () => new Promise((resolve) => setTimeout(resolve, 0))

async function type(comp, selector, value) {
  const node = comp.querySelector(selector)
  if (!node) throw new Error('no element ' + selector)
  node.dispatchEvent('input', { detail: { value } })
  await settle()
}

async function tap(comp, selector) {
  const node = comp.querySelector(selector)
  if (!node) throw new Error('no element ' + selector)
  node.dispatchEvent('tap')
  await settle()
}

module.exports = { install, render, open, until, text, expectShown, type, tap, ROOT }
