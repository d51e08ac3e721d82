// WeChat refuses a main package over 2 MB: measure what the upload would carry (project.config.json's
// packOptions leave out node_modules, tests and the npm files).
const fs = require('fs')
const path = require('path')
const config = require('../../project.config.json')

const ROOT = path.resolve(__dirname, '../..')
const LIMIT = 2 * 1024 * 1024

function packed() {
  const ignored = config.packOptions.ignore
  const skip = (relative, isDir) => ignored.some((rule) => rule.value === relative && (rule.type === 'folder') === isDir)
  let total = 0
  const files = []
  const walk = (dir) => fs.readdirSync(dir, { withFileTypes: true }).forEach((entry) => {
    const full = path.join(dir, entry.name)
    const relative = path.relative(ROOT, full)
    // a linked folder (node_modules shared between checkouts) is a folder to the packer too
    const isDir = entry.isDirectory() || (entry.isSymbolicLink() && fs.statSync(full).isDirectory())
    if (entry.name.startsWith('.') || skip(relative, isDir)) return
    if (isDir) return walk(full)
    total += fs.statSync(full).size
    files.push(relative)
  })
  walk(ROOT)
  return { total, files }
}

test('the main package stays under WeChat\'s 2 MB limit', () => {
  const { total, files } = packed()
  console.log(`main package: ${files.length} files, ${(total / 1024).toFixed(1)} KB of ${LIMIT / 1024} KB`)
  expect(files).toContain('app.json')
  expect(files.some((f) => f.startsWith('node_modules') || f.startsWith('tests'))).toBe(false)
  expect(total).toBeLessThan(LIMIT)
})

test('every page listed in app.json exists with its four files', () => {
  const app = require('../../app.json')
  app.pages.forEach((page) => {
    ['.js', '.json', '.wxml', '.wxss'].forEach((ext) => expect(fs.existsSync(path.join(ROOT, page + ext))).toBe(true))
  })
})
