// Shared by the end-to-end tests: the fixture the Python side wrote (service URL, simulator URL, what it
// seeded), and a `wx` whose network calls are real HTTP to that service.
const fs = require('fs')
const { createRuntime } = require('../helpers/runtime')
const { bridge } = require('../helpers/bridge')
const pages = require('../helpers/pages')

const FIXTURE = process.env.GONGJIAN_E2E

function fixture() {
  return JSON.parse(fs.readFileSync(FIXTURE, 'utf8'))
}

function resident(seed, options) {
  const wx = createRuntime(bridge({ simulator: seed.simulator, openid: seed.openid }), options)
  wx.setStorageSync('gongjian.base', seed.base)
  if (seed.templates) wx.setStorageSync('gongjian.templates', seed.templates)
  return { wx, simulate: pages.install(wx) }
}

// Without a fixture (plain `npm test`), the end-to-end suites are skipped: pytest runs them with one.
const describeLive = FIXTURE ? describe : describe.skip

module.exports = { fixture, resident, describeLive, pages }
