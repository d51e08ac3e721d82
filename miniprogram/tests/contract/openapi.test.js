// Every call the mini-program makes (lib/operations.js, the only calls lib/api.js will send) is an operation
// in the service's OpenAPI document, with the fields the client sends and reads. Fails when they drift.
const fs = require('fs')
const path = require('path')
const OPERATIONS = require('../../lib/operations')

const DOCUMENT = process.env.GONGJIAN_OPENAPI
const describeWithDocument = DOCUMENT ? describe : describe.skip

function resolve(document, schema) {
  let current = schema
  while (current && current.$ref) current = document.components.schemas[current.$ref.split('/').pop()]
  if (current && current.type === 'array' && current.items) return resolve(document, current.items)
  return current || {}
}

function requestSchema(document, operation) {
  const body = operation.requestBody && operation.requestBody.content
  if (!body) return null
  const media = body['application/json'] || body['multipart/form-data'] || body['application/x-www-form-urlencoded'] ||
    Object.values(body)[0]
  return resolve(document, media.schema)
}

function successSchema(operation) {
  const code = Object.keys(operation.responses || {}).find((c) => /^2\d\d$/.test(c))
  const content = code && operation.responses[code].content
  return { code, schema: content && content['application/json'] ? content['application/json'].schema : null }
}

// Everything the client source calls by name, so an unregistered name cannot slip through.
function namesCalledInSource() {
  const root = path.resolve(__dirname, '../..')
  const names = new Set()
  const walk = (dir) => fs.readdirSync(dir, { withFileTypes: true }).forEach((entry) => {
    if (['node_modules', 'tests'].includes(entry.name)) return
    const full = path.join(dir, entry.name)
    if (entry.isDirectory()) return walk(full)
    if (!entry.name.endsWith('.js')) return
    const source = fs.readFileSync(full, 'utf8')
    for (const match of source.matchAll(/api\.(?:call|download)\('([\w.]+)'/g)) names.add(match[1])
    for (const match of source.matchAll(/send\('([\w.]+)'/g)) names.add(match[1])
  })
  walk(root)
  return names
}

describeWithDocument('the client against /api/v1/openapi.json', () => {
  const document = DOCUMENT ? JSON.parse(fs.readFileSync(DOCUMENT, 'utf8')) : null

  test('every operation the pages call is registered', () => {
    const unknown = [...namesCalledInSource()].filter((name) => !OPERATIONS[name])
    expect(unknown).toEqual([])
  })

  test.each(Object.keys(OPERATIONS))('%s is documented with the fields the client uses', (name) => {
    const op = OPERATIONS[name]
    const item = document.paths[op.path]
    expect({ name, path: item ? op.path : 'missing: ' + op.path }).toEqual({ name, path: op.path })
    const operation = item[op.method.toLowerCase()]
    expect({ name, method: operation ? op.method : 'missing: ' + op.method }).toEqual({ name, method: op.method })
    const accepted = requestSchema(document, operation)
    const sends = op.sends || []
    if (sends.length) {
      const known = Object.keys((accepted && accepted.properties) || {})
      expect({ name, unknownSent: sends.filter((f) => !known.includes(f)) }).toEqual({ name, unknownSent: [] })
    }
    const { code, schema } = successSchema(operation)
    expect(code).toBeTruthy()
    if ((op.reads || []).length) {
      expect(schema).toBeTruthy()
      const answered = Object.keys(resolve(document, schema).properties || {})
      expect({ name, missingRead: op.reads.filter((f) => !answered.includes(f)) }).toEqual({ name, missingRead: [] })
    }
  })
})
